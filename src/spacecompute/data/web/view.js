// spacecompute view: a run on a 3D globe (three.js, inlined; no network).
// Reads the run from <script id="scene-data" type="application/json"> (see results/view.py).
// Frame: three.js y-up; Earth-fixed ITRS (x, y, z) is drawn at (x, z, -y), Earth radius 1.
// Positions between samples: the samples are turned into a frame that does not rotate with the
// Earth (rotation by the Earth's angle since the start), interpolated along the great circle
// with the radius linear (exact for a circular orbit), and turned back.
const THREE = await import(URL.createObjectURL(new Blob(
  [document.getElementById('three-src').textContent], { type: 'text/javascript' })));

const D = JSON.parse(document.getElementById('scene-data').textContent);
const R_E = 6378137.0;
const OMEGA_E = 7.2921150e-5; // rad/s (IERS Conventions 2010)
const M = D.names.length;
const K = D.n_steps;
const DURATION = K * D.step_s;

function b64(s, Type) {
  const bin = atob(s);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Type(bytes.buffer);
}

// samples: times (s since start) and positions, turned into the non-rotating frame
const sampleT = Float64Array.from(D.sample_steps_idx, (k) => k * D.step_s);
const T = sampleT.length;
const q = b64(D.pos_b64, Int16Array);
const inert = new Float32Array(T * M * 3);
for (let j = 0; j < T; j++) {
  const a = OMEGA_E * sampleT[j], c = Math.cos(a), s = Math.sin(a);
  for (let i = 0; i < M; i++) {
    const o = (j * M + i) * 3;
    const x = q[o] * D.pos_scale / R_E, y = q[o + 1] * D.pos_scale / R_E, z = q[o + 2] * D.pos_scale / R_E;
    inert[o] = c * x - s * y; inert[o + 1] = s * x + c * y; inert[o + 2] = z;
  }
}
const valid = b64(D.valid_b64, Uint8Array); // (T, M) 1 where the propagator gave a position

// states (K, M) from runs
const statePtr = b64(D.state_ptr_b64, Int32Array);
const stateStep = b64(D.state_step_b64, Int32Array);
const stateCode = b64(D.state_code_b64, Uint8Array);
const states = new Uint8Array(Math.max(K, 1) * M);
for (let i = 0; i < M; i++) {
  for (let r = statePtr[i]; r < statePtr[i + 1]; r++) {
    const end = r + 1 < statePtr[i + 1] ? stateStep[r + 1] : K;
    for (let k = stateStep[r]; k < end; k++) states[k * M + i] = stateCode[r];
  }
}
// per-satellite detail at the detail steps
const detailSteps = D.detail_steps_idx;
const soc = b64(D.soc_b64, Uint8Array);
const tempK = b64(D.temperature_b64, Uint16Array);
const queue = b64(D.queue_b64, Float32Array);
const job = b64(D.job_b64, Int32Array);
const contacts = {
  station: b64(D.contacts.station_b64, Int32Array), sat: b64(D.contacts.sat_b64, Int32Array),
  start: b64(D.contacts.start_b64, Float32Array), end: b64(D.contacts.end_b64, Float32Array),
};
const links = {
  a: b64(D.links.a_b64, Int32Array), b: b64(D.links.b_b64, Int32Array),
  first: b64(D.links.first_b64, Int32Array), end: b64(D.links.end_b64, Int32Array),
};

// --- scene ---
const container = document.getElementById('globe');
const renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
renderer.setPixelRatio(window.devicePixelRatio || 1);
renderer.setSize(container.clientWidth, container.clientHeight);
container.appendChild(renderer.domElement);
const scene = new THREE.Scene();
scene.background = new THREE.Color(0x05070d);
const camera = new THREE.PerspectiveCamera(40, container.clientWidth / container.clientHeight, 0.01, 200);
const earthFixed = new THREE.Group();
scene.add(earthFixed);

const texture = new THREE.TextureLoader().load(D.texture, () => { markDirty(); });
texture.colorSpace = THREE.SRGBColorSpace;
const earth = new THREE.Mesh(new THREE.SphereGeometry(1, 96, 64), new THREE.MeshBasicMaterial({ map: texture }));
earthFixed.add(earth);

function toThree(x, y, z, out, o) { out[o] = x; out[o + 1] = z; out[o + 2] = -y; }

// satellites
const satPos = new Float32Array(M * 3);
const satCol = new Float32Array(M * 3);
const satGeom = new THREE.BufferGeometry();
satGeom.setAttribute('position', new THREE.BufferAttribute(satPos, 3));
satGeom.setAttribute('color', new THREE.BufferAttribute(satCol, 3));
const satSize = M > 2000 ? 4 : 8;
function disc() { // a round point sprite
  const c = document.createElement('canvas'); c.width = c.height = 64;
  const g = c.getContext('2d'); g.fillStyle = '#fff'; g.beginPath(); g.arc(32, 32, 28, 0, 2 * Math.PI); g.fill();
  return new THREE.CanvasTexture(c);
}
const sprite = disc();
const sats = new THREE.Points(satGeom, new THREE.PointsMaterial({ size: satSize, sizeAttenuation: false, vertexColors: true, map: sprite, alphaTest: 0.5 }));
sats.frustumCulled = false;
scene.add(sats);
const stateRGB = D.state_rgba.map((c) => new THREE.Color(`rgb(${c[0]},${c[1]},${c[2]})`));

// stations (Earth-fixed)
const NS = D.stations.names.length;
const stPos = new Float32Array(NS * 3);
for (let i = 0; i < NS; i++) {
  const la = D.stations.lat_deg[i] * Math.PI / 180, lo = D.stations.lon_deg[i] * Math.PI / 180;
  const r = 1.01;
  toThree(r * Math.cos(la) * Math.cos(lo), r * Math.cos(la) * Math.sin(lo), r * Math.sin(la), stPos, i * 3);
}
const stGeom = new THREE.BufferGeometry();
stGeom.setAttribute('position', new THREE.BufferAttribute(stPos, 3));
const stations = new THREE.Points(stGeom, new THREE.PointsMaterial({ size: 6, sizeAttenuation: false, color: 0xffffff }));
scene.add(stations);

function lineLayer(color) {
  const geom = new THREE.BufferGeometry();
  geom.setAttribute('position', new THREE.BufferAttribute(new Float32Array(6 * 64), 3));
  geom.setDrawRange(0, 0);
  const obj = new THREE.LineSegments(geom, new THREE.LineBasicMaterial({ color, transparent: true, opacity: 0.8 }));
  obj.frustumCulled = false;
  scene.add(obj);
  return obj;
}
const contactLines = lineLayer(0x00c8ff);
const linkLines = lineLayer(0xff50c8);
function fillLines(obj, pairs) { // pairs: flat array of 6 floats per segment
  let attr = obj.geometry.getAttribute('position');
  if (attr.array.length < pairs.length) {
    attr = new THREE.BufferAttribute(new Float32Array(Math.max(pairs.length, attr.array.length * 2)), 3);
    obj.geometry.setAttribute('position', attr);
  }
  attr.array.set(pairs);
  attr.needsUpdate = true;
  obj.geometry.setDrawRange(0, pairs.length / 3);
}

// --- camera control: drag to turn, wheel to zoom ---
let camAz = 0.6, camEl = 0.45, camDist = 4.2;
function placeCamera() {
  camera.position.set(camDist * Math.cos(camEl) * Math.sin(camAz), camDist * Math.sin(camEl), camDist * Math.cos(camEl) * Math.cos(camAz));
  camera.lookAt(0, 0, 0);
}
let drag = null;
renderer.domElement.addEventListener('pointerdown', (e) => { drag = { x: e.clientX, y: e.clientY, moved: 0 }; });
window.addEventListener('pointerup', (e) => {
  if (drag && drag.moved < 4) pick(e.clientX, e.clientY);
  drag = null;
});
window.addEventListener('pointermove', (e) => {
  if (!drag) return;
  const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
  drag.moved += Math.abs(dx) + Math.abs(dy);
  drag.x = e.clientX; drag.y = e.clientY;
  camAz -= dx * 0.005; camEl = Math.max(-1.5, Math.min(1.5, camEl + dy * 0.005));
  markDirty();
});
renderer.domElement.addEventListener('wheel', (e) => {
  e.preventDefault();
  camDist = Math.max(1.2, Math.min(60, camDist * Math.exp(e.deltaY * 0.001)));
  markDirty();
}, { passive: false });

// --- time ---
const ui = (id) => document.getElementById(id);
const params = new URLSearchParams(location.hash.slice(1));
let t = Math.min(DURATION, Math.max(0, parseFloat(params.get('t') || '0')));
let playing = params.get('play') === '1';
let speed = parseFloat(params.get('speed') || ui('speed').value);
ui('speed').value = String(speed);
ui('slider').max = String(DURATION);
let selected = params.has('sat') ? parseInt(params.get('sat'), 10) : -1;
let dirty = true, frames = 0;
function markDirty() { dirty = true; if (typeof kick === 'function') kick(); }

function positionsAt(time) {
  let j = T > 1 ? Math.floor(time / (sampleT[1] - sampleT[0])) : 0;
  j = Math.max(0, Math.min(T - 2, j));
  const t0 = sampleT[j], t1 = T > 1 ? sampleT[j + 1] : t0;
  const f = t1 > t0 ? Math.max(0, Math.min(1, (time - t0) / (t1 - t0))) : 0;
  const a = -OMEGA_E * time, c = Math.cos(a), s = Math.sin(a);
  let drawn = 0;
  for (let i = 0; i < M; i++) {
    const o0 = (j * M + i) * 3, o1 = T > 1 ? ((j + 1) * M + i) * 3 : o0;
    const ok = valid[j * M + i] && (T < 2 || valid[(j + 1) * M + i]);
    if (!ok) { satPos[i * 3] = satPos[i * 3 + 1] = satPos[i * 3 + 2] = 0; continue; }
    const x0 = inert[o0], y0 = inert[o0 + 1], z0 = inert[o0 + 2];
    const x1 = inert[o1], y1 = inert[o1 + 1], z1 = inert[o1 + 2];
    const r0 = Math.hypot(x0, y0, z0), r1 = Math.hypot(x1, y1, z1);
    const cosw = Math.max(-1, Math.min(1, (x0 * x1 + y0 * y1 + z0 * z1) / (r0 * r1)));
    const w = Math.acos(cosw);
    let k0 = 1 - f, k1 = f;
    if (w > 1e-6) { const sw = Math.sin(w); k0 = Math.sin((1 - f) * w) / sw; k1 = Math.sin(f * w) / sw; }
    const r = (1 - f) * r0 + f * r1;
    let x = k0 * x0 / r0 + k1 * x1 / r1, y = k0 * y0 / r0 + k1 * y1 / r1, z = k0 * z0 / r0 + k1 * z1 / r1;
    const u = r / Math.hypot(x, y, z);
    x *= u; y *= u; z *= u;
    toThree(c * x - s * y, s * x + c * y, z, satPos, i * 3);
    drawn++;
  }
  return drawn;
}

function stepAt(time) { return Math.max(0, Math.min(K - 1, Math.floor(time / D.step_s))); }
function detailAt(time) {
  let lo = 0, hi = detailSteps.length - 1, k = stepAt(time);
  while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (detailSteps[mid] <= k) lo = mid; else hi = mid - 1; }
  return lo;
}

function update() {
  const drawn = positionsAt(t);
  const k = stepAt(t);
  const counts = new Array(D.state_names.length).fill(0);
  for (let i = 0; i < M; i++) {
    const code = K > 0 ? states[k * M + i] : 1;
    counts[code]++;
    const col = stateRGB[code];
    satCol[i * 3] = col.r; satCol[i * 3 + 1] = col.g; satCol[i * 3 + 2] = col.b;
  }
  satGeom.getAttribute('position').needsUpdate = true;
  satGeom.getAttribute('color').needsUpdate = true;
  // contacts and links
  let nc = 0, nl = 0;
  if (ui('layer-contacts').checked) {
    const seg = [];
    for (let i = 0; i < contacts.sat.length; i++) {
      if (contacts.start[i] <= t && t < contacts.end[i]) {
        const s = contacts.station[i] * 3, p = contacts.sat[i] * 3;
        seg.push(stPos[s], stPos[s + 1], stPos[s + 2], satPos[p], satPos[p + 1], satPos[p + 2]);
        nc++;
      }
    }
    fillLines(contactLines, seg);
  }
  if (ui('layer-links').checked) {
    const seg = [];
    for (let i = 0; i < links.a.length; i++) {
      if (links.first[i] <= k && k < links.end[i]) {
        const p = links.a[i] * 3, q2 = links.b[i] * 3;
        seg.push(satPos[p], satPos[p + 1], satPos[p + 2], satPos[q2], satPos[q2 + 1], satPos[q2 + 2]);
        nl++;
      }
    }
    fillLines(linkLines, seg);
  }
  sats.visible = ui('layer-satellites').checked;
  stations.visible = ui('layer-stations').checked;
  contactLines.visible = ui('layer-contacts').checked;
  linkLines.visible = ui('layer-links').checked;
  earth.visible = ui('layer-earth').checked;
  // clock and legend
  ui('time').textContent = new Date(D.start_ms + t * 1000).toISOString().replace('.000Z', 'Z');
  ui('slider').value = String(t);
  D.state_names.forEach((name, c) => { ui('count-' + c).textContent = counts[c].toLocaleString(); });
  showInfo(k);
  return { drawn, contacts: nc, links: nl, counts };
}

function showInfo(k) {
  if (selected < 0 || selected >= M) { ui('info').hidden = true; return; }
  const d = detailAt(t) * M + selected;
  const code = K > 0 ? states[k * M + selected] : 1;
  const rows = [
    ['satellite', `${D.names[selected]} (#${D.satellites[selected]})`],
    ['state', D.state_names[code]],
    ['battery', `${(soc[d] / 2.55).toFixed(0)} %`],
    ['temperature', `${(tempK[d] / 10).toFixed(1)} K (${(tempK[d] / 10 - 273.15).toFixed(1)} °C)`],
    ['queue', `${queue[d].toExponential(2)} ops`],
    ['job', job[d] >= 0 ? `#${job[d]}` : 'none'],
    ['at step', `${detailSteps[detailAt(t)]}`],
  ];
  ui('info-rows').innerHTML = rows.map(([a, b]) => `<tr><th>${a}</th><td>${b}</td></tr>`).join('');
  ui('info').hidden = false;
}

const ndc = new THREE.Vector3();
function pick(cx, cy) {
  const rect = renderer.domElement.getBoundingClientRect();
  let best = -1, bestD = 10 * 10;
  for (let i = 0; i < M; i++) {
    ndc.set(satPos[i * 3], satPos[i * 3 + 1], satPos[i * 3 + 2]).project(camera);
    if (ndc.z > 1) continue;
    const sx = rect.left + (ndc.x + 1) / 2 * rect.width, sy = rect.top + (1 - ndc.y) / 2 * rect.height;
    const d2 = (sx - cx) ** 2 + (sy - cy) ** 2;
    if (d2 < bestD) { bestD = d2; best = i; }
  }
  selected = best;
  markDirty();
}

ui('play').addEventListener('click', () => { playing = !playing; ui('play').textContent = playing ? 'pause' : 'play'; markDirty(); });
ui('speed').addEventListener('change', () => { speed = parseFloat(ui('speed').value); });
ui('slider').addEventListener('input', () => { t = parseFloat(ui('slider').value); markDirty(); });
document.querySelectorAll('.layer').forEach((el) => el.addEventListener('change', () => { markDirty(); }));
window.addEventListener('resize', () => {
  camera.aspect = container.clientWidth / container.clientHeight;
  camera.updateProjectionMatrix();
  renderer.setSize(container.clientWidth, container.clientHeight);
  markDirty();
});
ui('play').textContent = playing ? 'pause' : 'play';

// frames are drawn only while playing or after a change: a paused page is idle
let last = null, stats = null, scheduled = false, updateMs = 0;
function kick() { if (!scheduled) { scheduled = true; requestAnimationFrame(frame); } }
function frame(now) {
  scheduled = false;
  if (playing && last !== null) {
    t += (now - last) / 1000 * speed;
    if (t >= DURATION) { t = DURATION; playing = false; ui('play').textContent = 'play'; }
    markDirty();
  }
  last = playing ? now : null;
  if (dirty) {
    const u0 = performance.now();
    stats = update();
    placeCamera();
    renderer.render(scene, camera);
    updateMs = performance.now() - u0;
    frames++;
    dirty = false;
    ui('view-status').textContent = JSON.stringify({
      ready: true, t, frames, satellites: stats.drawn, contacts: stats.contacts,
      links: stats.links, counts: stats.counts, selected, update_ms: updateMs,
    });
  }
  if (playing) kick();
}
kick();
