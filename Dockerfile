# One image for all three services and the migrations (infra/compose.yaml builds it once and picks
# the entry point with `command`; without one it runs the order service):
#   docker build -t commerce-platform .
#   docker run commerce-platform                                  # the order service
#   docker run commerce-platform node product-service/src/main.ts
# No build step: Node 24 runs the TypeScript sources directly (type stripping).
FROM node:24.21.0-slim

ENV NODE_ENV=production
WORKDIR /app

# Dependencies first, so that source edits keep this layer cached.
COPY package.json package-lock.json ./
COPY shared/package.json shared/
COPY statecharts/package.json statecharts/
COPY order-service/package.json order-service/
COPY product-service/package.json product-service/
COPY payment-service/package.json payment-service/
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# Sources only (copying the whole context would drag in the host's node_modules, .git, ...).
COPY tsconfig.json ./
COPY shared/src shared/src
COPY statecharts/src statecharts/src
COPY order-service/src order-service/src
COPY product-service/src product-service/src
COPY payment-service/src payment-service/src
# compose.yaml's one-shot `migrate` runs this before the replicas start
COPY scripts/migrate.ts scripts/migrate.ts

USER node
EXPOSE 8181 8182 8183
CMD ["node", "order-service/src/main.ts"]
