# auditor: the web app on uvicorn. Data (SQLite file, unless AUDITOR_DATABASE_URL points at PostgreSQL) in /data.
#   docker build -t auditor .
#   docker run -p 8000:8000 -v auditor-data:/data -e AUDITOR_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))') auditor
# With PostgreSQL and several workers: compose.yaml (README, "Run in production"). AUDITOR_WORKERS sets the workers.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    AUDITOR_ENV=production \
    AUDITOR_DATA_DIR=/data

WORKDIR /src
# The dependencies at the versions the tests ran with (requirements/app.txt, hashes checked), then the app alone.
COPY requirements/app.txt ./requirements/app.txt
RUN pip install --require-hashes -r requirements/app.txt
COPY pyproject.toml README.md ./
COPY auditor ./auditor
COPY checklists ./checklists
COPY templates ./templates
COPY static ./static
RUN pip install --no-deps . \
    && useradd --system --uid 10001 --home-dir /data auditor \
    && mkdir -p /data && chown auditor /data
WORKDIR /data
USER auditor
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"
CMD ["auditor", "serve", "--host", "0.0.0.0", "--port", "8000"]
