from __future__ import annotations

from django.urls import path

from keys import api

app_name = "keys_api"

urlpatterns = [
    path("whoami", api.WhoAmI.as_view(), name="whoami"),
    path("verify", api.Verify.as_view(), name="verify"),
    path("keys/", api.KeyListCreate.as_view(), name="key_list"),
    path("keys/<str:key_id>", api.KeyDetail.as_view(), name="key_detail"),
    path("keys/<str:key_id>/roll", api.KeyRoll.as_view(), name="key_roll"),
    path("keys/<str:key_id>/revoke", api.KeyRevoke.as_view(), name="key_revoke"),
    path("keys/<str:key_id>/disable", api.KeyDisable.as_view(), name="key_disable"),
    path("keys/<str:key_id>/enable", api.KeyEnable.as_view(), name="key_enable"),
]
