from django.urls import path

from insurance.views import claims

urlpatterns = [
    # Claims (sinistres): the board, a claim and its documents for the insurer's portal.
    path("assurance/sinistres/", claims.claim_list, name="insurance_claim_list"),
    path("assurance/sinistres/<int:pk>/", claims.claim_detail, name="insurance_claim"),
    path("assurance/sinistres/<int:pk>/dossier.csv", claims.claim_csv, name="insurance_claim_csv"),
    path("assurance/sinistres/<int:pk>/dossier.pdf", claims.claim_pdf, name="insurance_claim_pdf"),
    # Overdue declarations (menaces de sinistre).
    path("assurance/declarations/", claims.declaration_list, name="insurance_declaration_list"),
    path(
        "assurance/declarations/<int:pk>/declaree/",
        claims.declaration_sent,
        name="insurance_declaration_sent",
    ),
    path(
        "assurance/declarations/<int:pk>/declaration.csv",
        claims.declaration_csv,
        name="insurance_declaration_csv",
    ),
    path(
        "assurance/declarations/<int:pk>/declaration.pdf",
        claims.declaration_pdf,
        name="insurance_declaration_pdf",
    ),
]
