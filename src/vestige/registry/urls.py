from django.urls import path

from vestige.registry import inventory_views, views
from vestige.registry.models import Exhumation, Grave, Remains, Site

app_name = "registry"

urlpatterns = [path("import/", views.import_view, name="import"),
               path("import/template/<str:kind>.csv", views.import_template, name="import-template")]

for model, conv in ((Site, "str"), (Grave, "int"), (Exhumation, "int"), (Remains, "int")):
    res = views.RESOURCES[model]
    m = {"model": model}
    urlpatterns += [
        path(f"{res.plural}/", views.list_view, m, name=f"{res.slug}-list"),
        path(f"{res.plural}/export.csv", views.export_view, m, name=f"{res.slug}-export"),
        path(f"{res.plural}/new/", views.form_view, m, name=f"{res.slug}-create"),
        path(f"{res.plural}/<{conv}:key>/", views.detail_view, m, name=f"{res.slug}-detail"),
        path(f"{res.plural}/<{conv}:key>/edit/", views.form_view, m, name=f"{res.slug}-edit"),
        path(f"{res.plural}/<{conv}:key>/withdraw/", views.withdraw_view, m, name=f"{res.slug}-withdraw"),
        path(f"{res.plural}/<{conv}:key>/restore/", views.withdraw_view, {**m, "restore": True},
             name=f"{res.slug}-restore"),
    ]

urlpatterns.append(path("sites/<str:key>/report.pdf", views.site_report, name="site-report"))
urlpatterns.append(path("sites/export.<str:fmt>", views.gis_export, name="gis-export"))  # after export.csv
urlpatterns.append(path("sites/<str:key>/inventory/", inventory_views.inventory_page, name="site-inventory"))
urlpatterns.append(path("sites/<str:key>/inventory.csv", inventory_views.inventory_export, name="site-inventory-export"))
