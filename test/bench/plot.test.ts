import { describe, expect, it } from 'vitest';
import { histogramSvg, linePlotSvg, probit } from '../../bench/plot.js';

describe('SVG plots', () => {
  it('probit is the inverse normal CDF (Φ⁻¹(0.5) = 0, Φ⁻¹(0.975) ≈ 1.95996, Φ⁻¹(0.001) ≈ −3.09023)', () => {
    expect(probit(0.5)).toBeCloseTo(0, 9);
    expect(probit(0.975)).toBeCloseTo(1.959964, 5);
    expect(probit(0.001)).toBeCloseTo(-3.090232, 5);
    expect(probit(0)).toBe(-Infinity);
  });

  it('line plot: one polyline per series, legend names escaped, probit axes place 0 on the edge', () => {
    const svg = linePlotSvg({
      title: 'DET <test>',
      xLabel: 'FAR',
      yLabel: 'FRR',
      xScale: 'probit',
      yScale: 'probit',
      diagonal: true,
      series: [
        { name: 'a & b', points: [[0, 0.5], [0.01, 0.1], [0.5, 0]] },
        { name: 'c', points: [[0.1, 0.1], [0.2, 0.05]] },
      ],
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('DET &lt;test&gt;');
    expect(svg).toContain('a &amp; b');
    expect(svg.match(/<polyline/g)).toHaveLength(3); // 2 series + diagonal
    expect(svg).not.toContain('NaN');
    expect(svg).toContain('>1%<');
    // 0 and 1 are outside the default DET window (0.01 %–50 %): no tick there.
    expect(svg).not.toContain('>99.9%<');
  });

  it('log axis drops values ≤ 0 instead of writing NaN', () => {
    const svg = linePlotSvg({ title: 't', xLabel: 'x', yLabel: 'y', xScale: 'log', series: [{ name: 's', points: [[0, 1], [1, 2], [100, 3]] }] });
    expect(svg).not.toContain('NaN');
    const points = /<polyline points="([^"]+)"/.exec(svg)![1]!.split(' ');
    expect(points).toHaveLength(2);
  });

  it('histogram: one bar per bin, counts sum to the number of values', () => {
    const svg = histogramSvg({ title: 'h', xLabel: 'v', values: [0, 0.1, 0.2, 0.9, 1], bins: 2 });
    const titles = [...svg.matchAll(/<title>[^<]*: (\d+)<\/title>/g)].map((m) => Number(m[1]));
    expect(titles).toEqual([3, 2]);
  });
});
