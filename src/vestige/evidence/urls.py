from django.urls import path

from vestige.evidence import views

app_name = "evidence"

urlpatterns = [
    path("evidence/", views.item_list, name="list"),
    path("evidence/upload/", views.upload, name="upload"),
    path("evidence/jobs/", views.jobs_page, name="jobs"),
    path("evidence/capture/", views.capture_page, name="capture"),
    path("evidence/bulk/", views.bulk, name="bulk"),
    path("evidence/jobs/<int:pk>/", views.job_detail, name="job-detail"),
    path("evidence/jobs/<int:pk>/bag.zip", views.job_bag, name="job-bag"),
    path("evidence/jobs/<int:pk>/retry/", views.job_retry, name="job-retry"),
    path("evidence/<str:ref>/", views.item_detail, name="item-detail"),
    path("evidence/<str:ref>/thumbnail.jpg", views.item_thumbnail, name="item-thumbnail"),
    path("evidence/<str:ref>/download/", views.item_download, name="item-download"),
    path("evidence/<str:ref>/view/", views.item_view, name="item-view"),
    path("evidence/<str:ref>/links/", views.item_links, name="item-links"),
    path("evidence/<str:ref>/links/<int:link_id>/remove/", views.item_links, name="item-unlink"),
]
