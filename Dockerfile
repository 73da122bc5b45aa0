# Track My Crime: one image for the web server, Celery workers and Celery beat.

# The front end, built from the npm registry at the versions in package-lock.json.
FROM node:20-slim AS frontend
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY assets ./assets
RUN npm run build

FROM python:3.11-slim AS app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

# GNU gettext compiles the translations (.mo files are built, not committed).
RUN apt-get update && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 1000 trackmycrime
WORKDIR /app

COPY pyproject.toml README.md ./
RUN pip install --upgrade pip && pip install .

COPY . .
COPY --from=frontend /build/static/build ./static/build
# Static files are collected, and the translations compiled, at build time; this key
# exists only for these steps.
RUN DEBUG=false ALLOWED_HOSTS=build.invalid REDIS_URL=redis://build.invalid:6379/0 \
    SECRET_KEY=collectstatic-only-7f3a9c1e5b2d8f4a6c0e9b7d3f1a5c8e2b4d6f0a9c7e \
    sh -c "python manage.py compilemessages --verbosity 0 \
    && python manage.py collectstatic --noinput --verbosity 0"

USER trackmycrime
EXPOSE 8000
CMD ["gunicorn", "trackmycrime.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--access-logfile", "-"]
