# syntax=docker/dockerfile:1
#
# One image for every llmgw process; the command chooses the role, as with ./llmgw:
#   docker run -p 8000:8000 llmgw gateway          (needs BOOTSTRAP_SERVERS)
#   docker run llmgw router | worker [--model NAME] | sim
#   docker run -p 8000:8000 llmgw dev              (everything in one container, embedded Kafka and simulator)
# Configuration is environment variables only (see .env.example); nothing is baked in.

# ---- build: the Maven reactor, tests skipped (CI runs them) ----
FROM maven:3.9.11-eclipse-temurin-21 AS build
WORKDIR /src
COPY . .
# the cache mount keeps ~/.m2 between builds: a code change does not download the dependencies again
RUN --mount=type=cache,target=/root/.m2 mvn -B -q -DskipTests package

# ---- runtime: a JRE, the application's jars, and the broker's jars for `dev` ----
# Ubuntu-based on purpose: RocksDB (Kafka Streams state stores) ships glibc binaries, which Alpine's musl cannot load.
FROM eclipse-temurin:21.0.8_9-jre-noble
# curl for the compose health checks (GET /ready); a fixed non-root user that owns nothing but its data directory
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 llmgw \
    && useradd --system --uid 10001 --gid llmgw --home-dir /app --no-create-home --shell /usr/sbin/nologin llmgw \
    && mkdir -p /app/data \
    && chown llmgw:llmgw /app/data
WORKDIR /app
COPY --from=build /src/app/target/lib/ /app/lib/
COPY --from=build /src/broker/target/lib/ /app/broker-lib/
# where `dev` finds the embedded broker's classpath; the state of Kafka Streams goes to the user's own directory
ENV LLMGW_BROKER_LIB=/app/broker-lib \
    STATE_DIR=/app/data/state
USER llmgw
# gateway, simulator, ops endpoints (/metrics, /health, /ready) of router and worker
EXPOSE 8000 8100 9464
# the heap follows the container's memory limit; an OutOfMemoryError restarts the container instead of limping on;
# MaxTenuringThreshold as JavaOptions.GC says
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-XX:MaxTenuringThreshold=2", "-XX:+ExitOnOutOfMemoryError", "-cp", "/app/lib/*", "io.llmgw.app.Llmgw"]
CMD ["gateway"]
