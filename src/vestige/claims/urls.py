from django.urls import path

from vestige.claims import views

app_name = "claims"

urlpatterns = [
    path("claims/", views.claim_list, name="claim-list"),
    path("claims/export.csv", views.claim_export, name="claim-export"),
    path("claims/new/", views.claim_form, name="claim-create"),
    path("claims/<str:ref>/", views.claim_detail, name="claim-detail"),
    path("claims/<str:ref>/edit/", views.claim_form, name="claim-edit"),
    path("claims/<str:ref>/status/", views.claim_status, name="claim-status"),
    path("claims/<str:ref>/link/", views.claim_link, name="claim-link"),
    path("claims/<str:ref>/withdraw/", views.claim_withdraw, name="claim-withdraw"),
    path("claims/<str:ref>/restore/", views.claim_withdraw, {"restore": True}, name="claim-restore"),
    path("sites/<str:ref>/claims/", views.site_claims, name="site-claims"),
    path("incidents/", views.incident_list, name="incident-list"),
    path("incidents/export.csv", views.incident_export, name="incident-export"),
    path("incidents/new/", views.incident_form, name="incident-create"),
    path("incidents/import/", views.incident_import, name="incident-import"),
    path("incidents/<str:ref>/", views.incident_detail, name="incident-detail"),
    path("incidents/<str:ref>/edit/", views.incident_form, name="incident-edit"),
    path("witnesses/", views.witness_list, name="witness-list"),
    path("witnesses/new/", views.witness_form, name="witness-create"),
    path("witnesses/<str:code>/", views.witness_detail, name="witness-detail"),
    path("witnesses/<str:code>/identity/", views.witness_identity, name="witness-identity"),
    path("witnesses/<str:code>/statement/", views.witness_statement, name="witness-statement"),
]
