/**
 * The full-screen top: raw keyboard, a redraw that rewrites only the lines
 * that changed (no flicker), prompts on the message line, and a terminal
 * that is always given back (quit, SIGTERM, SIGINT, SIGHUP, a crash).
 */
import { setPriority } from 'node:os';
import { constants } from 'node:os';
import { Session, SORT_FIELDS, type SessionOptions } from './session.js';
import { nameCache } from '../proc/users.js';

const ESC = '\x1b[';

interface Prompt {
  text: string;
  value: string;
  done(answer: string): void;
}

export function runInteractive(o: SessionOptions, delay: number, iterations: number): Promise<number> {
  const out = process.stdout;
  const inp = process.stdin;
  const session = new Session(o);
  let prev: string[] = [];
  let message = '';
  let prompt: Prompt | undefined;
  let timer: NodeJS.Timeout | undefined;
  let frames = 0;
  let restored = false;
  let firstPid = 0;
  let finish: (code: number) => void = () => {};

  const restore = () => {
    if (restored) return;
    restored = true;
    if (timer) clearTimeout(timer);
    try {
      if (inp.isTTY) inp.setRawMode(false);
    } catch {
      // the terminal went away
    }
    inp.pause();
    out.write(`${ESC}?25h${ESC}?1049l`);
  };
  const onSignal = (sig: NodeJS.Signals) => {
    restore();
    process.exit(128 + (constants.signals[sig] ?? 15));
  };
  const onCrash = (e: unknown) => {
    restore();
    process.stderr.write(`dk top: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  process.once('SIGHUP', onSignal);
  process.once('uncaughtException', onCrash);
  process.once('exit', restore);

  const draw = (fresh: boolean) => {
    const cols = out.columns || 80;
    const rows = out.rows || 24;
    const f = fresh ? session.next() : undefined;
    if (f) {
      lastFrame = f;
      firstPid = f.shown[0]?.p.tid ?? 0;
    }
    const frame = lastFrame!;
    const summary = session.summary(frame, cols);
    const msg = prompt ? `${prompt.text}${prompt.value}` : message;
    const lines = [...summary, msg.slice(0, cols - 1), `${ESC}7m${session.header(frame, cols).padEnd(cols - 1)}${ESC}27m`, ...session.rows(frame, cols)].slice(
      0,
      rows,
    );
    let buf = '';
    for (let i = 0; i < lines.length; i++) if (lines[i] !== prev[i]) buf += `${ESC}${i + 1};1H${lines[i]}${ESC}K`;
    if (lines.length < prev.length) buf += `${ESC}${lines.length + 1};1H${ESC}J`;
    if (prompt) buf += `${ESC}${summary.length + 1};${Math.min(cols, msg.length + 1)}H${ESC}?25h`;
    else buf += `${ESC}?25l`;
    if (buf) out.write(buf);
    prev = lines;
  };
  let lastFrame: ReturnType<Session['next']> | undefined;

  const schedule = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(tick, Math.max(0.1, delay) * 1000);
  };
  const tick = () => {
    frames++;
    if (frames >= iterations) return finish(0);
    draw(true);
    schedule();
  };

  const ask = (text: string, done: (answer: string) => void) => {
    prompt = { text, value: '', done };
    draw(false);
  };

  const onKey = (key: string) => {
    message = '';
    switch (key) {
      case 'q':
        return finish(0);
      case 'P':
        o.sort = { field: '%CPU', ascending: false };
        break;
      case 'M':
        o.sort = { field: '%MEM', ascending: false };
        break;
      case 'T':
        o.sort = { field: 'TIME+', ascending: false };
        break;
      case 'N':
        o.sort = { field: 'PID', ascending: false };
        break;
      case 'R':
        o.sort = { ...o.sort, ascending: !o.sort.ascending };
        break;
      case '<':
      case '>': {
        const i = SORT_FIELDS.indexOf(o.sort.field);
        const j = Math.min(SORT_FIELDS.length - 1, Math.max(0, (i < 0 ? 8 : i) + (key === '<' ? -1 : 1)));
        o.sort = { ...o.sort, field: SORT_FIELDS[j] };
        break;
      }
      case 'H':
        o.threads = !o.threads;
        message = `Show threads ${o.threads ? 'On' : 'Off'}`;
        break;
      case 'V':
        o.forest = !o.forest;
        message = `Forest mode ${o.forest ? 'On' : 'Off'}`;
        break;
      case 'c':
        o.cmdline = !o.cmdline;
        break;
      case 'i':
        o.idle = !o.idle;
        break;
      case '1':
        o.perCpu = !o.perCpu;
        break;
      case 't':
        o.thrash = !o.thrash;
        break;
      case '=':
        o.filters = [];
        o.uid = undefined;
        break;
      case 'k':
        return ask(`PID to signal/kill [default pid = ${firstPid}] `, (a) => {
          const pid = a.trim() === '' ? firstPid : Number(a);
          if (!Number.isInteger(pid) || pid <= 0) return void (message = ` Unacceptable integer '${a}'`);
          ask(`Send pid ${pid} signal [15/sigterm] `, (s) => {
            const sig = s.trim() === '' ? 'SIGTERM' : /^\d+$/.test(s.trim()) ? Number(s.trim()) : `SIG${s.trim().toUpperCase().replace(/^SIG/, '')}`;
            try {
              process.kill(pid, sig as NodeJS.Signals | number);
            } catch (e) {
              message = ` Failed signal pid '${pid}' with '${s.trim() || 15}': ${(e as NodeJS.ErrnoException).code === 'EPERM' ? 'Operation not permitted' : (e as Error).message}`;
            }
          });
        });
      case 'r':
        return ask(`PID to renice [default pid = ${firstPid}] `, (a) => {
          const pid = a.trim() === '' ? firstPid : Number(a);
          if (!Number.isInteger(pid) || pid <= 0) return void (message = ` Unacceptable integer '${a}'`);
          ask(`Renice PID ${pid} to value `, (v) => {
            const n = Number(v.trim());
            if (!Number.isInteger(n)) return void (message = ` Unacceptable integer '${v}'`);
            try {
              setPriority(pid, n);
            } catch (e) {
              message = ` Failed setpriority pid '${pid}' with '${n}': ${(e as Error).message}`;
            }
          });
        });
      case 'u':
      case 'U':
        return ask('Which user (blank for all) ', (a) => {
          const name = a.trim();
          if (name === '') return void (o.uid = undefined);
          const uid = /^\d+$/.test(name) ? Number(name) : nameCache('/etc').uidOf(name);
          if (uid === undefined) message = ' Invalid user';
          else {
            o.uid = uid;
            o.anyUid = key === 'U';
          }
        });
      case 'o':
      case 'O':
        return ask(`add filter #${o.filters.length + 1} (ignoring case) as: [!]FLD?VAL `, (a) => {
          if (/^!?[^=<>]+[=<>]./.test(a.trim())) o.filters.push(a.trim());
          else if (a.trim()) message = ` Unacceptable filter '${a.trim()}'`;
        });
      case 'd':
      case 's':
        return ask(`Change delay from ${delay.toFixed(1)} to `, (a) => {
          const n = Number(a.trim().replace(',', '.'));
          if (a.trim() === '') return;
          if (!Number.isFinite(n) || n < 0) message = ` Unacceptable floating point '${a.trim()}'`;
          else delay = n;
        });
      default:
        return;
    }
    draw(true);
    schedule();
  };

  const onData = (d: Buffer) => {
    const s = d.toString('utf8');
    if (prompt) {
      for (const ch of s) {
        const p = prompt;
        if (!p) break;
        if (ch === '\r' || ch === '\n') {
          prompt = undefined;
          p.done(p.value);
          if (!prompt) {
            draw(true);
            schedule();
          }
        } else if (ch === '\x1b') {
          prompt = undefined;
          draw(false);
        } else if (ch === '\x7f' || ch === '\b') {
          p.value = p.value.slice(0, -1);
          draw(false);
        } else if (ch >= ' ') {
          p.value += ch;
          draw(false);
        }
      }
      return;
    }
    if (s === '\x03') return finish(0);
    // arrow keys and other escape sequences are not commands
    if (s.startsWith('\x1b')) return;
    for (const ch of s) onKey(ch);
  };

  return new Promise<number>((resolve) => {
    finish = (code: number) => {
      restore();
      process.removeListener('SIGTERM', onSignal);
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGHUP', onSignal);
      process.removeListener('uncaughtException', onCrash);
      inp.removeListener('data', onData);
      out.removeListener('resize', onResize);
      resolve(code);
    };
    const onResize = () => {
      prev = [];
      out.write(`${ESC}2J`);
      draw(false);
    };
    out.write(`${ESC}?1049h${ESC}2J${ESC}?25l`);
    inp.setRawMode(true);
    inp.resume();
    inp.on('data', onData);
    out.on('resize', onResize);
    draw(true);
    schedule();
  });
}
