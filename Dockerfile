# The bot as a container: webhook mode on PostgreSQL (see docker-compose.yml).
#   docker build -t interview-bot .
# Stage 1 builds wheels for the project and everything it needs; stage 2 installs
# only those wheels, so the image carries no compiler and no build caches.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY flows flows
COPY storage storage
COPY scheduler scheduler
COPY bot bot
COPY interview_bot interview_bot
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MPLCONFIGDIR=/tmp/matplotlib \
    TELEGRAM_WEBHOOK_HOST=0.0.0.0 \
    TELEGRAM_WEBHOOK_PORT=8080
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links=/wheels interview-bot \
    && rm -rf /wheels \
    && useradd --system --create-home --home-dir /app --uid 10001 bot
COPY deploy/entrypoint.sh /usr/local/bin/entrypoint.sh
USER bot
WORKDIR /app
EXPOSE 8080
# /healthz answers once the webhook listens (after migrations and the first connection);
# HEALTH_PORT picks another listener's (Feishu's callback: FEISHU_PORT)
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + (os.environ.get('HEALTH_PORT') or os.environ.get('TELEGRAM_WEBHOOK_PORT', '8080')) + '/healthz', timeout=2)"
ENTRYPOINT ["entrypoint.sh"]
CMD ["run", "--webhook"]
