# Front-end packages (htmx) from the npm registry, pinned by package-lock.json.
FROM node:20-slim AS frontend
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# psycopg2 (not -binary) builds against libpq; libpq5 stays for runtime.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libpq-dev \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first so code edits do not invalidate this layer.
COPY pyproject.toml constraints.txt ./
RUN mkdir backend && touch backend/__init__.py \
    && pip install -c constraints.txt . \
    && pip uninstall -y staffing-match && rm -rf backend build *.egg-info

COPY . .
COPY --from=frontend /app/node_modules ./node_modules
RUN pip install --no-deps -c constraints.txt .
# Static files are baked into the image (served by whitenoise); the key only satisfies settings.
RUN SECRET_KEY=collectstatic-only DEBUG=false python manage.py collectstatic --noinput --verbosity 0

# The code stays root-owned and read-only for the process that runs it.
RUN useradd --system --create-home --uid 10001 app
USER app

EXPOSE 8000
CMD ["gunicorn", "backend.wsgi:application", "-b", "0.0.0.0:8000", "-w", "3", "--access-logfile", "-"]
