"""The owner's account pages (session login): /account/…"""

from django.urls import path

from pages import views_account

app_name = "account"

urlpatterns = [
    path("", views_account.account, name="index"),
    path("token/", views_account.token_create, name="token_create"),
    path("token/revoke/", views_account.token_revoke, name="token_revoke"),
    path("export.json", views_account.export, name="export"),
    path("erase/", views_account.erase, name="erase"),
]
