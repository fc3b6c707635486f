/** dk console's usage, apart from the command so that dk --help does not load the console. */
export const CONSOLE_HELP = `Usage: dk console [--listen ADDR:PORT] [--users FILE] [--state-dir DIR]... [--db FILE]
                  [--tls-cert FILE --tls-key FILE] [--control SOCK]
       dk console passwd [--users FILE] USER [--role admin|viewer]

  --listen A:P   where the console listens (default 127.0.0.1:9090; port 0: any free one).
                 Anything but loopback needs --tls-cert and --tls-key.
  --users FILE   the users file (default STATE-DIR/console.users, else ~/.config/dk/console.users,
                 /etc/dk/console.users as root); dk console passwd writes it (mode 0600)
  --state-dir D  where the dk daemons' control sockets are (repeatable; default /run/dk)
  --db FILE      the log store (default: the SQLite store of a running dk syslogd)
  passwd         sets USER's password (read from stdin, or asked on a terminal); --role
                 admin may act, viewer only looks (default admin for a new user)
`;
