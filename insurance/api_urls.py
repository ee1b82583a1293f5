from insurance import api

routes = [
    ("credit-limits", api.CreditLimitViewSet, "api-credit-limit"),
    ("claims", api.ClaimViewSet, "api-claim"),
]
