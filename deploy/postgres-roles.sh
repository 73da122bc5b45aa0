#!/bin/sh
# The database's two roles, made once when docker-compose's PostgreSQL first starts
# (README.md, Database roles): trackmycrime owns the database and every table and
# runs the migrations; trackmycrime_app is the service's, which `migrate` grants
# everything it needs but UPDATE, DELETE and TRUNCATE of the audit trail.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v owner_password="$TRACKMYCRIME_OWNER_PASSWORD" \
  -v service_password="$TRACKMYCRIME_SERVICE_PASSWORD" <<'SQL'
CREATE ROLE trackmycrime LOGIN PASSWORD :'owner_password';
CREATE ROLE trackmycrime_app LOGIN PASSWORD :'service_password';
CREATE DATABASE trackmycrime OWNER trackmycrime;
\connect trackmycrime
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL
