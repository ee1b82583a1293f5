from django.urls import path

from webhooks import views

urlpatterns = [
    path("societe/webhooks/", views.endpoint_list, name="webhook_list"),
    path("societe/webhooks/creer/", views.endpoint_create, name="webhook_create"),
    path("societe/webhooks/<int:pk>/", views.endpoint_detail, name="webhook_endpoint"),
    path("societe/webhooks/<int:pk>/modifier/", views.endpoint_edit, name="webhook_edit"),
    path("societe/webhooks/<int:pk>/desactiver/", views.endpoint_disable, name="webhook_disable"),
    path("societe/webhooks/<int:pk>/activer/", views.endpoint_enable, name="webhook_enable"),
    path("societe/webhooks/<int:pk>/supprimer/", views.endpoint_delete, name="webhook_delete"),
    path("societe/webhooks/<int:pk>/tester/", views.endpoint_ping, name="webhook_ping"),
    path("societe/webhooks/envois/<int:pk>/", views.delivery_detail, name="webhook_delivery"),
    path(
        "societe/webhooks/envois/<int:pk>/renvoyer/",
        views.delivery_replay,
        name="webhook_replay",
    ),
]
