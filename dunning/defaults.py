"""What a new company starts with: the default policy, its name and its ladder (DESIGN section
2) with its letters in French and English, and the reference rates known when this was
written."""

from decimal import Decimal

from dunning.models import Channel, StepKind

DEFAULT_POLICY_NAME = "Standard"

DEFAULT_STEPS = [
    {
        "kind": StepKind.CONSULTANT_REMINDER,
        "channel": Channel.CONSULTANT_EMAIL,
        "days_from_due": -3,
        "min_days_after_previous": 0,
        "subject_fr": "Échéance proche : un mot à {client} ?",
        "body_fr": (
            "Bonjour {consultant},\n\n"
            "Ces factures de {client} arrivent à échéance :\n\n{invoices}\n\n"
            "Un mot amical de votre part à votre interlocuteur aide souvent à être payé à "
            "temps. Notez dans votre espace ce que vous avez fait (appel, email, promesse "
            "de paiement avec sa date).\n\n{company}"
        ),
        "subject_en": "Due soon: a word to {client}?",
        "body_en": (
            "Hello {consultant},\n\n"
            "These invoices to {client} are coming due:\n\n{invoices}\n\n"
            "A friendly word from you often gets them paid on time. Log what you did in "
            "your portal (call, email, promise to pay with its date).\n\n{company}"
        ),
    },
    {
        "kind": StepKind.CONSULTANT_REMINDER,
        "channel": Channel.CONSULTANT_EMAIL,
        "days_from_due": 1,
        "min_days_after_previous": 0,
        "subject_fr": "Facture échue : pouvez-vous relancer {client} ?",
        "body_fr": (
            "Bonjour {consultant},\n\n"
            "Ces factures de {client} sont échues et restent impayées :\n\n{invoices}\n\n"
            "Pouvez-vous en parler à votre interlocuteur ? Notez dans votre espace ce que "
            "vous avez fait ; une promesse de paiement suspend les relances jusqu'à sa "
            "date.\n\n{company}"
        ),
        "subject_en": "Invoice overdue: could you remind {client}?",
        "body_en": (
            "Hello {consultant},\n\n"
            "These invoices to {client} are overdue:\n\n{invoices}\n\n"
            "Could you mention it to your contact? Log what you did in your portal; a "
            "promise to pay pauses the reminders until its date.\n\n{company}"
        ),
    },
    {
        "kind": StepKind.FIRST_REMINDER,
        "channel": Channel.CLIENT_EMAIL,
        "days_from_due": 1,
        "min_days_after_previous": 0,
        "subject_fr": "Rappel : facture(s) échue(s) — {company}",
        "body_fr": (
            "Madame, Monsieur,\n\n"
            "Sauf erreur de notre part, les factures suivantes restent impayées à ce jour :"
            "\n\n{invoices}\n\nSolde dû : {total}.\n\n"
            "Nous vous remercions de bien vouloir procéder à leur règlement par virement "
            "(IBAN {iban}). Si votre paiement est en cours, merci de ne pas tenir compte de "
            "ce message.\n\nCordialement,\n{company}"
        ),
        "subject_en": "Reminder: overdue invoice(s) — {company}",
        "body_en": (
            "Dear Sir or Madam,\n\n"
            "Unless we are mistaken, the following invoices remain unpaid:\n\n{invoices}\n\n"
            "Balance due: {total}.\n\n"
            "Please settle them by bank transfer (IBAN {iban}). If your payment is on its "
            "way, please disregard this message.\n\nKind regards,\n{company}"
        ),
    },
    {
        "kind": StepKind.SECOND_REMINDER,
        "channel": Channel.CLIENT_EMAIL,
        "days_from_due": 15,
        "min_days_after_previous": 10,
        "subject_fr": "Deuxième relance : factures impayées — {company}",
        "body_fr": (
            "Madame, Monsieur,\n\n"
            "Malgré notre précédent rappel, les factures suivantes restent impayées :\n\n"
            "{invoices}\n\nSolde dû : {total}.\n\n"
            "Nous vous demandons de régulariser cette situation sans délai. À défaut, nous "
            "vous adresserons une mise en demeure, avec les pénalités de retard et "
            "l'indemnité forfaitaire de 40 € par facture prévues par le Code de commerce."
            "\n\nCordialement,\n{company}"
        ),
        "subject_en": "Second reminder: unpaid invoices — {company}",
        "body_en": (
            "Dear Sir or Madam,\n\n"
            "Despite our previous reminder, the following invoices remain unpaid:\n\n"
            "{invoices}\n\nBalance due: {total}.\n\n"
            "Please settle them without delay. Otherwise we will send a formal notice, with "
            "the late penalties and the fixed 40 EUR indemnity per invoice provided by the "
            "French Commercial Code.\n\nKind regards,\n{company}"
        ),
    },
    {
        "kind": StepKind.FORMAL_NOTICE,
        "channel": Channel.LETTER,
        "days_from_due": 30,
        "min_days_after_previous": 10,
        "subject_fr": "Mise en demeure de payer — {company}",
        "body_fr": (
            "Madame, Monsieur,\n\n"
            "Malgré nos relances, les factures suivantes restent impayées :\n\n{invoices}\n\n"
            "Par la présente, nous vous mettons en demeure de nous régler la somme de "
            "{total_claimed}, soit le solde de {total}, les pénalités de retard de "
            "{penalties} et les indemnités forfaitaires de recouvrement de {indemnities}, "
            "au plus tard le {deadline}.\n\n"
            "À défaut de paiement à cette date, nous engagerons sans autre avis une "
            "procédure judiciaire de recouvrement (injonction de payer).\n\n"
            "Veuillez agréer, Madame, Monsieur, nos salutations distinguées.\n\n{company}"
        ),
        "subject_en": "Formal notice to pay — {company}",
        "body_en": (
            "Dear Sir or Madam,\n\n"
            "Despite our reminders, the following invoices remain unpaid:\n\n{invoices}\n\n"
            "We hereby give you formal notice to pay {total_claimed}: the balance of {total}, "
            "late penalties of {penalties} and fixed recovery indemnities of {indemnities}, "
            "by {deadline} at the latest.\n\n"
            "Failing payment by that date, we will start court proceedings (injonction de "
            "payer) without further notice.\n\nYours faithfully,\n\n{company}"
        ),
    },
    {
        "kind": StepKind.LITIGATION,
        "channel": Channel.LITIGATION_FILE,
        "days_from_due": 45,
        "min_days_after_previous": 10,
        "subject_fr": "",
        "body_fr": "",
        "subject_en": "",
        "body_en": "",
    },
]

# (year, half, ECB main refinancing rate on 1 January / 1 July, legal interest rate for
# professionals; None: not published when this was written). Sources in
# ../shared/research/domain-reference.md and docs/penalties.md; the admin adds the next
# half-years, and the rates missing here, as they are published.
KNOWN_RATES = [
    (2023, 1, "2.50", "2.06"),
    (2023, 2, "4.00", "4.22"),
    (2024, 1, "4.50", "5.07"),
    (2024, 2, "4.25", "4.92"),
    (2025, 1, "3.15", "3.71"),
    (2025, 2, "2.15", "2.76"),
    (2026, 1, "2.15", "2.62"),
    # The ECB raised its rates by 25 basis points on 11 June 2026, the main refinancing rate
    # to 2.40 % from 17 June: in force on 1 July. The legal rate's arrêté is not at hand.
    (2026, 2, "2.40", None),
]


def known_rates():
    return [
        {
            "year": year,
            "half": half,
            "ecb_rate": Decimal(ecb) if ecb else None,
            "legal_rate": Decimal(legal) if legal else None,
        }
        for year, half, ecb, legal in KNOWN_RATES
    ]
