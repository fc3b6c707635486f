/** Overview: the machine, and CPU / memory / swap / paging over the last 10 minutes, live. */
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import type { Point } from '../../shared/types.js';
import { get, live } from '../api.js';
import { duration, kib } from './format.js';

interface Overview {
  host: string;
  kernel: string;
  uptimeSeconds: number;
  load: number[];
  cpus: number;
  memTotalKb: number;
  swapTotalKb: number;
  history: Point[];
}

function Chart({ points, series, title, max }: { points: Point[]; series: [keyof Point, string][]; title: string; max?: number }) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const data = (): uPlot.AlignedData => [points.map((p) => p.t / 1000), ...series.map(([k]) => points.map((p) => Number(p[k])))];
  useEffect(() => {
    if (!el.current) return;
    plot.current = new uPlot(
      {
        title,
        width: Math.max(300, el.current.clientWidth - 16),
        height: 160,
        scales: max ? { y: { range: [0, max] } } : {},
        series: [{}, ...series.map(([, label], i) => ({ label, stroke: ['#2a6fdb', '#d9822b', '#2b9d5c', '#b83280'][i], width: 1.5 }))],
        axes: [{}, { size: 50 }],
      },
      data(),
      el.current,
    );
    return () => plot.current?.destroy();
  }, []);
  useEffect(() => plot.current?.setData(data()), [points]);
  return <div class="chart" ref={el} />;
}

export function OverviewPage() {
  const [o, setO] = useState<Overview>();
  const [points, setPoints] = useState<Point[]>([]);
  useEffect(() => {
    get<Overview>('/api/overview').then((x) => {
      setO(x);
      setPoints(x.history);
    });
    return live.subscribe('overview', (m) => {
      if (Array.isArray(m.history)) setPoints(m.history as Point[]);
      else if (m.point) setPoints((ps) => [...ps.slice(-599), m.point as Point]);
    });
  }, []);
  if (!o) return <p class="muted">loading…</p>;
  const last = points[points.length - 1];
  return (
    <section>
      <h2>{o.host}</h2>
      <p class="facts">
        Linux {o.kernel} · up {duration(o.uptimeSeconds)} · load {o.load.map((l) => l.toFixed(2)).join(' ')} · {o.cpus} CPUs · {kib(o.memTotalKb)} memory ·{' '}
        {kib(o.swapTotalKb)} swap
      </p>
      {last?.thrashing && (
        <p class="alert">
          Thrashing: the machine is busy paging ({last.swapIn.toFixed(0)} swap-in/s, {last.swapOut.toFixed(0)} swap-out/s, {last.majflt.toFixed(0)} major
          faults/s)
        </p>
      )}
      <div class="charts">
        <Chart title="CPU %" points={points} series={[['cpu', 'busy']]} max={100} />
        <Chart
          title="Memory and swap %"
          points={points}
          series={[
            ['mem', 'memory'],
            ['swap', 'swap'],
          ]}
          max={100}
        />
        <Chart
          title="Paging per second (top --thrash)"
          points={points}
          series={[
            ['swapIn', 'swap in'],
            ['swapOut', 'swap out'],
            ['majflt', 'major faults'],
            ['kswapd', 'kswapd %cpu'],
          ]}
        />
      </div>
    </section>
  );
}
