from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts import reveal, security, views

app_name = "accounts"

urlpatterns = [
    path("", views.home, name="home"),
    path("signup/", views.signup, name="signup"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html",
            success_url=reverse_lazy("accounts:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_reset_complete.html"),
        name="password_reset_complete",
    ),
    path("account/confirm-password/", views.sudo, name="sudo"),
    path("account/confirm-password/passkey/options", security.sudo_passkey_options, name="sudo_passkey_options"),
    path("account/confirm-password/passkey", security.sudo_passkey, name="sudo_passkey"),
    path("login/verify/", security.login_verify, name="login_verify"),
    path("login/passkey/options", security.passkey_login_options, name="passkey_login_options"),
    path("login/passkey", security.passkey_login, name="passkey_login"),
    path("account/security/", security.security, name="security"),
    path("account/security/totp/", security.totp_setup, name="totp_setup"),
    path("account/security/totp/remove", security.totp_disable, name="totp_disable"),
    path("account/security/recovery-codes", security.recovery_codes_regenerate, name="recovery_codes"),
    path("account/security/passkeys/options", security.passkey_register_options, name="passkey_register_options"),
    path("account/security/passkeys/", security.passkey_register, name="passkey_register"),
    path("account/security/passkeys/<int:passkey_id>/remove", security.passkey_delete, name="passkey_delete"),
    path("account/security/sign-out-everywhere", security.sign_out_everywhere, name="sign_out_everywhere"),
    path("orgs/", views.org_list, name="org_list"),
    path("orgs/<slug:slug>/switch", views.org_switch, name="org_switch"),
    path("orgs/<slug:slug>/settings/", views.org_settings, name="org_settings"),
    path("orgs/<slug:slug>/members/", views.members, name="members"),
    path("orgs/<slug:slug>/members/<int:member_id>/role", views.member_role, name="member_role"),
    path("orgs/<slug:slug>/members/<int:member_id>/remove", views.member_remove, name="member_remove"),
    path(
        "orgs/<slug:slug>/members/<int:member_id>/transfer-ownership",
        views.ownership_transfer,
        name="ownership_transfer",
    ),
    path("orgs/<slug:slug>/audit/", views.audit_log, name="audit_log"),
    path("orgs/<slug:slug>/revealed/<str:token>", reveal.revealed, name="revealed"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
]
