# Gradwalk server: `docker build -t gradwalk . && docker run -p 8000:8000 gradwalk`
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /srv/gradwalk
COPY pyproject.toml README.md ./
COPY app ./app
COPY static ./static
COPY templates ./templates
RUN pip install . \
    && useradd --create-home --uid 10001 gradwalk

# The app reads its static/ and templates/ next to the package; serve from the source tree.
# Class mode's SQLite file lives in the user's home (mount a volume there to keep classes across
# containers, or set GRADWALK_DATABASE_URL to a PostgreSQL).
ENV PYTHONPATH=/srv/gradwalk \
    GRADWALK_DATA_DIR=/home/gradwalk/data
USER gradwalk
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD python -c "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"
CMD ["gradwalk", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
