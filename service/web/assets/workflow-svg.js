// The workflow drawn as a picture (SVG), from the definition GET /api/v1/workflows/{name}/{version}
// returns: one box per stage, in the order the definition gives them, each listing its decisions
// and where they lead; the current stage is marked. A text description goes with it for those
// who do not see the picture.
import { h } from './dom.js';
import { t, word } from './i18n.js';

const WIDTH = 640;
const BOX_X = 150;
const BOX_W = 460;
const LINE = 20;
const GAP = 34;

export function workflowSvg(definition, currentStage) {
  const stages = definition.stages || [];
  const titleId = `wf-title-${definition.name}`;
  const descId = `wf-desc-${definition.name}`;
  const parts = [];
  let y = 16;
  let previousPhase = null;
  let previousBottom = null;
  const describe = [];

  stages.forEach((stage, i) => {
    const decisions = stage.decisions || [];
    const height = 36 + decisions.length * LINE + 8;
    const current = stage.id === currentStage;
    if (stage.phase !== previousPhase) {
      parts.push(h('svg:text', { x: 10, y: y + 22, class: 'wf-phase' }, word('phase', stage.phase)));
      if (stage.phase === 'amendment' && previousBottom !== null) previousBottom = null;  // a track of its own
    }
    if (previousBottom !== null) {
      parts.push(h('svg:line', { x1: BOX_X + BOX_W / 2, y1: previousBottom, x2: BOX_X + BOX_W / 2, y2: y - 2, class: 'wf-edge', 'marker-end': 'url(#wf-arrow)' }));
    }
    const group = h('svg:g', { class: current ? 'wf-stage wf-current' : 'wf-stage' });
    group.append(h('svg:rect', { x: BOX_X, y, width: BOX_W, height, rx: 8, ry: 8 }));
    const quorum = stage.quorum > 1 ? ` · ${stage.quorum}/${stage.of}` : '';
    group.append(h('svg:text', { x: BOX_X + 12, y: y + 22, class: 'wf-stage-name' },
      `${word('stage', stage.id)} (${stage.role}${quorum})${current ? ' ◀' : ''}`));
    decisions.forEach((d, k) => {
      const target = d.next ? word('stage', d.next) : word('outcome', d.outcome);
      const comment = d.comment_required ? ' ✎' : '';
      group.append(h('svg:text', { x: BOX_X + 24, y: y + 44 + k * LINE, class: 'wf-decision' },
        `${word('event', d.event)}${comment} → ${target}`));
    });
    parts.push(group);
    describe.push(`${word('stage', stage.id)}${current ? ' (●)' : ''}: ${decisions.map((d) => `${word('event', d.event)} → ${d.next ? word('stage', d.next) : word('outcome', d.outcome)}`).join('; ')}`);
    previousBottom = y + height;
    previousPhase = stage.phase;
    y += height + GAP;
    if (i === stages.length - 1) y -= GAP - 16;
  });

  const svg = h('svg:svg', {
    viewBox: `0 0 ${WIDTH} ${y}`, width: '100%', role: 'img', 'aria-labelledby': `${titleId} ${descId}`, class: 'workflow',
  },
  h('svg:title', { id: titleId }, `${t('req.workflowPicture')}: ${definition.title || definition.name}`),
  h('svg:desc', { id: descId }, describe.join('. ')),
  h('svg:defs', {}, h('svg:marker', { id: 'wf-arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto-start-reverse' },
    h('svg:path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'wf-arrowhead' }))),
  parts);
  return svg;
}
