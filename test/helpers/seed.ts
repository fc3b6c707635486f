/** The lecture's syslog.conf, verbatim: several tests read it. */
export const SEED_SYSLOG_CONF = `*.info;mail.none;news.none;authpriv.none;cron.none /var/log/messages
authpriv.* /var/log/secure
mail.* /var/log/maillog
cron.* /var/log/cron
*.emerg *
uucp,news.crit /var/log/spooler
local7.* /var/log/boot.log
`;
