from einvoicing import api

routes = [
    ("lifecycle-statuses", api.LifecycleStatusViewSet, "api-lifecycle-status"),
]
