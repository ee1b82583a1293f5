"""Writes of the collections ladder. `ladder` decides, `perform` acts, `mail` sends,
`letters` computes and renders formal notices, `cases` holds what people do by hand."""
