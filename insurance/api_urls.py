from insurance import api

routes = [
    ("insurance-policies", api.PolicyViewSet, "api-insurance-policy"),
    ("credit-limits", api.CreditLimitViewSet, "api-credit-limit"),
    ("claims", api.ClaimViewSet, "api-claim"),
]
