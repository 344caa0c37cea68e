# The bot in one image: `pip install .` (the pinned dependencies in pyproject.toml), run as a
# non-root user, migrations applied at start. Configure it with environment variables (.env.example).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot
COPY storage ./storage
COPY content ./content
RUN pip install . \
    && useradd --create-home --uid 10001 companion \
    && mkdir -p /data \
    && chown companion:companion /data

USER companion
ENV DATABASE_URL=sqlite+aiosqlite:////data/companion.db \
    HEALTH_PORT=8080 \
    LOG_FORMAT=json
VOLUME ["/data"]
# 8080: /healthz, /readyz, /metrics. 3000: Slack HTTP mode (PORT).
EXPOSE 8080 3000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]

# SIGTERM (docker stop) ends the bot cleanly within 10 s; exec keeps python as PID 1 to receive it.
CMD ["python", "-m", "bot", "run"]
