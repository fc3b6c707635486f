/** Small renderings shared by the pages. */
export const kib = (k: number): string => (k >= 1048576 ? `${(k / 1048576).toFixed(1)}G` : k >= 1024 ? `${(k / 1024).toFixed(1)}M` : `${k}K`);

export function since(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  return Date.now() - d.getTime() < 86_400_000 ? d.toTimeString().slice(0, 8) : d.toISOString().slice(0, 10);
}

export function duration(s: number): string {
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${d ? `${d}d ` : ''}${h}h ${m}min`;
}
