from django.urls import path

from vestige.dvi import views

app_name = "dvi"

urlpatterns = [
    path("dvi/", views.index, name="index"),
    path("dvi/exchange.json", views.exchange_export, name="export"),
    path("dvi/exchange/", views.exchange_import, name="import"),
    path("dvi/board/<int:remains_pk>/<str:ref>/", views.board_page, name="board"),
    path("dvi/board/<int:remains_pk>/<str:ref>/report.pdf", views.board_pdf, name="board-pdf"),
    path("dvi/comparisons/<int:pk>/verify/", views.verify, name="verify"),
    path("dvi/<str:side>/<str:key>/", views.record, name="record"),
    path("dvi/<str:side>/<str:key>/chart/", views.chart_edit, name="chart"),
    path("dvi/<str:side>/<str:key>/form.pdf", views.record_pdf, name="record-pdf"),
    path("dvi/<str:side>/<str:key>/add/<str:section>/", views.add, name="add"),
]
