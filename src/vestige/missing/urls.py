from django.urls import path

from vestige.missing import listviews, views

app_name = "missing"

urlpatterns = [
    path("missing/", views.person_list, name="person-list"),
    path("missing/new/", views.person_form, name="person-create"),
    path("missing/export.csv", views.person_export, name="person-export"),
    path("missing/<str:ref>/", views.person_detail, name="person-detail"),
    path("missing/<str:ref>/case-file.pdf", views.person_report, name="person-report"),
    path("missing/<str:ref>/edit/", views.person_edit, name="person-edit"),
    path("missing/<str:ref>/merge/", views.person_merge, name="person-merge"),
    path("missing/<str:ref>/compare/<str:other>/", views.person_compare, name="person-compare"),
    path("missing/<str:ref>/extracts/", views.extract_issue, name="extract-issue"),
    path("extracts/<str:number>.pdf", views.extract_download, name="extract-pdf"),
    path("extracts/<str:number>/revoke/", views.extract_revoke, name="extract-revoke"),
    path("verify/extract/<str:number>/", views.extract_verify, name="extract-verify"),
    path("lists/", listviews.list_index, name="list-index"),
    path("lists/<str:ref>/", listviews.list_detail, name="list-detail"),
    path("lists/<str:ref>/export/", listviews.list_export, name="list-export"),
    path("lists/<str:ref>/link/", listviews.list_link, name="list-link"),
    path("lists/<str:ref>/<int:line>/", listviews.entry_review, name="list-entry"),
    path("families/", views.family_list, name="family-list"),
    path("families/<str:ref>/", views.family_detail, name="family-detail"),
    path("families/<str:ref>/pedigree.ped", views.family_pedtools, name="family-pedtools"),
    path("families/<str:ref>/members/", views.family_member, name="family-member"),
    path("families/<str:ref>/contact/", views.family_contact, name="family-contact"),
    path("families/<str:ref>/relatives/", views.family_relative, name="family-relative"),
    path("families/<str:ref>/members/<str:code>/", views.member_edit, name="member-edit"),
    path("families/<str:ref>/members/<str:code>/remove/", views.member_remove, name="member-remove"),
    path("donors/<str:code>/withdraw-consent/", views.donor_withdraw_consent, name="donor-withdraw-consent"),
    path("donors/<str:code>/show/<str:what>/", views.donor_show, name="donor-show"),
]
