from consultants import api

routes = [
    ("consultants", api.ConsultantViewSet, "api-consultant"),
    ("activity-accounts", api.ActivityAccountViewSet, "api-activity-account"),
]
