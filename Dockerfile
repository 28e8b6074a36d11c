# spendflow as a container: `spendflow serve` on port 8080. The service runs its TypeScript
# sources directly through tsx (a runtime dependency), so there is no build step and no
# devDependencies in the image.
#
#   docker build -t spendflow .
#   docker run --rm -p 8080:8080 spendflow                     # embedded: simulator + in-process bus
#   docker run --rm -p 8080:8080 -e SPENDFLOW_KAFKA_BROKERS=host:9092 -e SPENDFLOW_API_TOKEN=... spendflow
#
# Configuration comes from SPENDFLOW_* environment variables (docs/configuration.md) or a YAML
# file named by SPENDFLOW_CONFIG (mount it, or use /app/config/default.yaml as a template).
#
# docker-compose.yml runs it next to Kafka, InfluxDB, Prometheus and Grafana (docs/deploy.md).
FROM node:20-bookworm-slim

ENV NODE_ENV=production \
    SPENDFLOW_SERVICE_HOST=0.0.0.0 \
    SPENDFLOW_SERVICE_PORT=8080

WORKDIR /app

# Dependencies first, so a change to the sources does not reinstall them. The sources stay owned
# by root: the service cannot rewrite its own code.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY tsconfig.json ./
COPY bin ./bin
COPY config ./config
COPY src ./src

# Embedded mode keeps state in .spendflow/state (state.dir) under the working directory: the only
# place the service writes, so the only one the non-root user owns.
RUN mkdir -p /app/.spendflow && chown node:node /app/.spendflow
USER node

EXPOSE 8080

# curl is not in the slim image; node's fetch does the same job.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.SPENDFLOW_SERVICE_PORT || 8080) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# node is PID 1 and handles SIGTERM itself (graceful stop, exit codes as documented).
ENTRYPOINT ["node", "bin/spendflow.js"]
CMD ["serve"]
