from dunning import api

routes = [
    ("dunning-cases", api.CaseViewSet, "api-dunning-case"),
    ("messages", api.MessageViewSet, "api-message"),
    ("letters", api.LetterViewSet, "api-letter"),
]
