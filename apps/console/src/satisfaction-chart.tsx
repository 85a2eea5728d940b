import type { SurveyScore } from './hub-types';

const TREND_TONE: Record<string, string> = { improving: 'good', stable: '', falling: 'bad', unknown: '' };

/** A survey score on 0–1, as the hub compares them (CSAT 1–5, NPS 0–10). */
const scaled = (a: SurveyScore): number => (a.survey === 'csat' ? (a.score - 1) / 4 : a.score / 10);

/** The latest survey answers as a small line chart (hand-rolled SVG: six points need no chart library). */
export function SatisfactionChart({ answers, trend }: { answers: SurveyScore[]; trend: string }) {
  if (answers.length === 0) return <span className="muted">no survey answer yet</span>;
  const w = 220;
  const h = 60;
  const pad = 6;
  const x = (i: number) => (answers.length === 1 ? w / 2 : pad + (i * (w - 2 * pad)) / (answers.length - 1));
  const y = (v: number) => h - pad - v * (h - 2 * pad);
  const points = answers.map((a, i) => `${x(i)},${y(scaled(a))}`).join(' ');
  return (
    <div className="row">
      <svg width={w} height={h} role="img" aria-label={`satisfaction trend: ${trend}`} style={{ background: '#f7f9fb', borderRadius: 6 }}>
        <line x1={pad} x2={w - pad} y1={y(0.5)} y2={y(0.5)} stroke="#dde3ea" strokeDasharray="3 3" />
        <polyline points={points} fill="none" stroke="#1f5fbf" strokeWidth={2} />
        {answers.map((a, i) => (
          <circle key={`${a.at}-${i}`} cx={x(i)} cy={y(scaled(a))} r={3} fill="#1f5fbf">
            <title>{`${a.survey.toUpperCase()} ${a.score} · ${new Date(a.at).toLocaleDateString()}`}</title>
          </circle>
        ))}
      </svg>
      <span className={`pill ${TREND_TONE[trend] ?? ''}`}>{trend}</span>
    </div>
  );
}
