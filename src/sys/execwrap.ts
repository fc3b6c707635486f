/**
 * What must happen between fork and exec when Node starts a program, which
 * Node's spawn cannot do itself: the supplementary groups initgroups(3)
 * would set (spawn's uid/gid clear them), nice, umask, LISTEN_PID (the
 * program's own pid) and waiting on a gate descriptor while the parent
 * sets resource limits. A few lines of perl (perl-base is part of every
 * Debian system; ~2 ms) do them and exec the program with its own argv[0].
 */
export interface ExecSetup {
  uid?: number;
  gid?: number;
  /** supplementary groups (with uid/gid) */
  groups?: number[];
  nice?: number;
  umask?: number;
  /** set LISTEN_PID to the program's pid */
  listenPid?: boolean;
  /** wait for a byte or EOF on this descriptor first */
  gateFd?: number;
}

// argv: uid gid "groups" nice umask listen_pid gate-fd prog argv0 args... ('' = leave as is)
const WRAPPER = [
  'my ($u, $g, $gs, $n, $m, $lp, $gate, $prog) = splice(@ARGV, 0, 8);',
  'if ($gate ne "") { open(my $f, "<&=", $gate) or exit 126; sysread($f, my $b, 1); close $f; }',
  'if ($n ne "") { setpriority(0, 0, $n) or exit 126; }',
  'umask(oct($m)) if $m ne "";',
  'if ($g ne "") { ($(, $)) = ($g, "$g $gs"); exit 126 if $( != $g; }',
  'if ($u ne "") { ($<, $>) = ($u, $u); exit 126 if $< != $u || $> != $u; }',
  '$ENV{LISTEN_PID} = $$ if $lp;',
  'exec { $prog } @ARGV or exit 127;',
].join(' ');

/** The file and arguments that run path with argv (argv[0] included) after the setup. */
export function wrapExec(s: ExecSetup, path: string, argv: string[]): [string, string[]] {
  const o = (v: number | undefined, f = (x: number) => String(x)) => (v === undefined ? '' : f(v));
  return [
    'perl',
    [
      '-e',
      WRAPPER,
      o(s.uid),
      o(s.gid),
      s.groups?.join(' ') ?? '',
      o(s.nice),
      o(s.umask, (x) => x.toString(8)),
      s.listenPid ? '1' : '',
      o(s.gateFd),
      path,
      ...argv,
    ],
  ];
}
