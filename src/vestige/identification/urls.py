from django.urls import path

from vestige.identification import views

app_name = "identification"

urlpatterns = [
    path("identification/", views.index, name="index"),
    path("identification/start/", views.start, name="start"),
    path("identification/runs/<int:pk>/", views.run_detail, name="run-detail"),
    path("identification/candidates/<int:pk>/", views.candidate_detail, name="candidate-detail"),
    path("identification/candidates/<int:pk>/propose/", views.propose, name="propose"),
    path("identification/candidates/<int:pk>/report.pdf", views.candidate_pdf, name="candidate-pdf"),
    path("identification/decisions/<int:pk>/decide/", views.decide, name="decide"),
    path("identification/decisions/<int:pk>/notify/", views.notify, name="notify"),
    path("identification/stats/", views.stats_page, name="stats"),
    path("identification/worklists/<str:name>/", views.worklist_page, name="worklist"),
    path("identification/same-body/new/", views.duplicate_new, name="duplicate-new"),
    path("identification/same-body/<int:pk>/", views.duplicate_detail, name="duplicate-detail"),
    path("identification/samples/<int:pk>/resolve/", views.sample_resolve, name="sample-resolve"),
    path("identification/databases/", views.databases_page, name="databases"),
    path("identification/families/<str:ref>/check/", views.pedigree_check_page, name="pedigree-check"),
]
