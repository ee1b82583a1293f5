# The platform's image: web (gunicorn), worker and beat run from it (see docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=portage.settings.production

# WeasyPrint renders with Pango; gettext compiles the translations.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# Dependencies first, in their own layer; then the code.
COPY pyproject.toml README.md ./
RUN mkdir portage && touch portage/__init__.py && pip install --no-cache-dir . && rm -r portage
COPY . .
RUN pip install --no-cache-dir --no-deps .
RUN DJANGO_SECRET_KEY=image-build-only-not-a-secret-0123456789abcdefghijklmnop \
    DJANGO_ALLOWED_HOSTS=build \
    sh -c "python manage.py collectstatic --noinput -v0 && python manage.py compilemessages -v0 --ignore '.venv/*'"

RUN useradd --system --home /app portage && mkdir -p /app/media && chown portage /app/media
USER portage
EXPOSE 8000
CMD ["gunicorn", "portage.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
