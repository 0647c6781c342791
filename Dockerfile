# One image for every Taskroom process: the API, the export worker and the SSH front door.
FROM python:3.11-slim

ENV UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    PYTHONUNBUFFERED=1 \
    PATH=/app/.venv/bin:$PATH

RUN pip install --no-cache-dir uv \
 && useradd --create-home --uid 10001 taskroom \
 && mkdir -p /data && chown taskroom /data

WORKDIR /app
# Dependencies first, so a source change does not reinstall them.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --locked --no-dev --no-install-project
COPY api ./api
COPY worker ./worker
COPY tui ./tui
COPY taskroom_cli ./taskroom_cli
COPY sshd ./sshd
RUN uv sync --locked --no-dev

USER taskroom
ENV TASKROOM_DATA_DIR=/data
EXPOSE 8000 2222
CMD ["taskroom", "serve", "--host", "0.0.0.0", "--port", "8000"]
