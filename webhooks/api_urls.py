from webhooks import api

routes = [
    ("webhook-endpoints", api.EndpointViewSet, "api-webhook-endpoint"),
    ("webhook-deliveries", api.DeliveryViewSet, "api-webhook-delivery"),
]
