# The SIMS worker (and the sims-case command) for docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY . .
RUN pip install .[postgres] \
    && useradd --create-home --uid 1000 sims \
    && mkdir -p /data \
    && chown sims /data
USER sims

# SIGTERM (docker stop) shuts the worker down gracefully.
CMD ["python", "worker.py"]
