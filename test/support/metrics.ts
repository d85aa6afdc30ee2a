import { expect } from 'vitest';

/** Samples of a Prometheus text exposition: `name{labels}` → value. */
export async function scrape(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${url}/metrics`, { headers });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  const samples = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

/** The value of `name` whose labels include every one of `labels` (0 when absent). */
export function sample(
  samples: Map<string, number>,
  name: string,
  labels: Record<string, string> = {},
) {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  let total = 0;
  for (const [key, value] of samples) {
    const brace = key.indexOf('{');
    const metric = brace < 0 ? key : key.slice(0, brace);
    if (metric !== name) continue;
    const labelText = brace < 0 ? '' : key.slice(brace + 1, -1);
    const present = labelText ? labelText.split(/,(?=[a-z_]+=")/) : [];
    if (wanted.every((label) => present.includes(label))) total += value;
  }
  return total;
}
