"""What a new company's chart of accounts starts with (plan comptable général): the accounts,
journals and labels of the accounting export until the company's admin changes them. Labels
are in French: they are written as they are into the FEC."""

DEFAULT_CHART = {
    "client_account": "411000",
    "client_account_label": "Clients",
    "sales_account": "706000",
    "sales_account_label": "Prestations de services",
    "vat_account_20": "445711",
    "vat_account_10": "445712",
    "vat_account_5_5": "445713",
    "vat_account_2_1": "445714",
    "vat_account_label": "TVA collectée",
    "bank_account": "512000",
    "bank_account_label": "Banque",
    "insurer_account": "467000",
    "insurer_account_label": "Assureur-crédit, indemnités reçues",
    "opening_account": "890000",
    "opening_account_label": "Bilan d'ouverture",
    "sales_journal": "VT",
    "sales_journal_label": "Ventes",
    "bank_journal": "BQ",
    "bank_journal_label": "Banque",
    "insurance_journal": "AS",
    "insurance_journal_label": "Assurance-crédit",
    "opening_journal": "AN",
    "opening_journal_label": "À-nouveaux",
}
