#!/usr/bin/env bash
# Starts or stops the throwaway servers one test run needs, all on 127.0.0.1:
#   - a PostgreSQL 15 cluster (initdb as the postgres user into a fresh directory),
#     with roles tether and tether_alt and databases tether and tether_alt;
#   - aiosmtpd with STARTTLS and AUTH, its certificate signed by a throwaway CA;
#   - a plain aiosmtpd without TLS or AUTH.
#
#   scripts/test-servers.sh start DIR   start everything, write DIR/env (shell exports)
#   scripts/test-servers.sh stop DIR    stop what DIR/pids lists and remove DIR
#
# Only processes this script started are stopped, by the ids it recorded.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
python=/usr/bin/python3
pg_bin=/usr/lib/postgresql/15/bin

command="${1:?usage: test-servers.sh start|stop DIR}"
dir="${2:?usage: test-servers.sh start|stop DIR}"

free_port() { "$python" "$here/free-port.py"; }

as_postgres() { runuser -u postgres -- "$@"; }

wait_for_file() {
    local file="$1" what="$2"
    for _ in $(seq 1 100); do
        [[ -s "$file" ]] && return 0
        sleep 0.1
    done
    echo "test-servers: $what did not start; see $dir/logs" >&2
    return 1
}

make_certificates() {
    local certs="$dir/certs"
    mkdir -p "$certs"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Tether Throwaway CA" \
        -keyout "$certs/ca.key" -out "$certs/ca.pem" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
        -keyout "$certs/server.key" -out "$certs/server.csr" 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' > "$certs/ext.cnf"
    openssl x509 -req -in "$certs/server.csr" -CA "$certs/ca.pem" -CAkey "$certs/ca.key" \
        -CAcreateserial -days 2 -extfile "$certs/ext.cnf" -out "$certs/server.pem" 2>/dev/null
}

start_postgres() {
    local data="$dir/pg/data" sockets="$dir/pg/sockets" port
    port="$(free_port)"
    install -d -o postgres -g postgres "$dir/pg" "$data" "$sockets"
    echo "$pg_password" > "$dir/pg/pwfile"
    chown postgres "$dir/pg/pwfile"
    as_postgres "$pg_bin/initdb" -D "$data" -U postgres --pwfile="$dir/pg/pwfile" \
        --auth-local=trust --auth-host=scram-sha-256 >"$dir/logs/initdb.log" 2>&1
    # Kept for scripts/pg-ctl.sh: a plain `pg_ctl start` would forget them and listen on 5432.
    echo "-p $port -k $sockets -c listen_addresses=127.0.0.1 -c max_connections=200" > "$dir/pg/options"
    as_postgres "$pg_bin/pg_ctl" -D "$data" -l "$dir/pg/postgres.log" -w -t 60 \
        -o "$(cat "$dir/pg/options")" start >"$dir/logs/pg_ctl.log" 2>&1
    head -1 "$data/postmaster.pid" >> "$dir/pids"
    local sql="psql -q -v ON_ERROR_STOP=1 -h $sockets -p $port -U postgres -d postgres"
    as_postgres $sql -c "CREATE ROLE tether LOGIN SUPERUSER PASSWORD '$pg_password'" \
        -c "CREATE ROLE tether_alt LOGIN PASSWORD '$pg_password'" \
        -c "CREATE DATABASE tether OWNER tether" \
        -c "CREATE DATABASE tether_alt OWNER tether" >/dev/null
    cat >> "$dir/env" <<ENV
export TETHER_PG_HOST=127.0.0.1
export TETHER_PG_PORT=$port
export TETHER_PG_USER=tether
export TETHER_PG_ALT_USER=tether_alt
export TETHER_PG_PASSWORD=$pg_password
export TETHER_PG_DATABASE=tether
export TETHER_PG_ALT_DATABASE=tether_alt
export TETHER_PG_DSN='Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=$port;Database=tether;Uid=tether;Pwd=$pg_password;'
export TETHER_PG_CTL="$here/pg-ctl.sh $dir"
ENV
}

start_smtp() {
    local name="$1" port; shift
    port="$(free_port)"
    "$python" "$here/smtp_server.py" --port "$port" --store "$dir/mail/$name" \
        --ready-file "$dir/$name.ready" "$@" >"$dir/logs/smtp-$name.log" 2>&1 &
    echo $! >> "$dir/pids"
    wait_for_file "$dir/$name.ready" "SMTP server $name"
    echo "$port"
}

start() {
    mkdir -p "$dir/logs" "$dir/mail"
    chmod 755 "$dir"
    : > "$dir/pids"
    : > "$dir/env"
    pg_password="$(openssl rand -hex 12)"
    smtp_password="$(openssl rand -hex 12)"
    make_certificates
    start_postgres
    local plain_port tls_port
    plain_port="$(start_smtp plain --reject rejected)"
    tls_port="$(start_smtp tls --cert "$dir/certs/server.pem" --key "$dir/certs/server.key" \
        --auth "tether:$smtp_password" --reject rejected)"
    cat >> "$dir/env" <<ENV
export TETHER_SMTP_PLAIN_HOST=127.0.0.1
export TETHER_SMTP_PLAIN_PORT=$plain_port
export TETHER_SMTP_PLAIN_STORE=$dir/mail/plain
export TETHER_SMTP_TLS_HOST=127.0.0.1
export TETHER_SMTP_TLS_PORT=$tls_port
export TETHER_SMTP_TLS_STORE=$dir/mail/tls
export TETHER_SMTP_TLS_USER=tether
export TETHER_SMTP_TLS_PASSWORD=$smtp_password
export TETHER_SMTP_TLS_CA=$dir/certs/ca.pem
export TETHER_SQLITE_DRIVER=SQLite3
export TETHER_TEST_SERVERS=$dir
ENV
    echo "test-servers: PostgreSQL, SMTP (plain) and SMTP (STARTTLS+AUTH) up; exports in $dir/env"
}

stop() {
    [[ -d "$dir" ]] || return 0
    if [[ -f "$dir/pg/data/postmaster.pid" ]]; then
        as_postgres "$pg_bin/pg_ctl" -D "$dir/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    if [[ -f "$dir/pids" ]]; then
        while read -r pid; do
            [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true
        done < "$dir/pids"
        while read -r pid; do
            for _ in $(seq 1 50); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            kill -9 "$pid" 2>/dev/null || true
        done < "$dir/pids"
    fi
    rm -rf "$dir"
}

case "$command" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: test-servers.sh start|stop DIR" >&2; exit 2 ;;
esac
