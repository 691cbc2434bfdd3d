(function () {
  var host = document.currentScript ? document.currentScript.parentNode : document;
  var canvas = host.querySelector("canvas.lb-neural");
  if (!canvas || canvas.dataset.started) return;
  canvas.dataset.started = "1";
  var ctx = canvas.getContext("2d");
  var still = window.matchMedia("(prefers-reduced-motion: reduce)");
  var LINK = 150;             // CSS px at 1400 px wide: nodes closer than this are connected
  var S = 1;                  // zoom: a projector gets the same network as a laptop, only larger
  var BLUE = [59, 130, 246], CYAN = [6, 182, 212];
  var w = 0, h = 0, nodes = [], sparks = [], raf = 0, last = 0, t = 0;

  // A soft round glow, drawn once and stamped under every node (far cheaper than shadowBlur).
  function sprite(rgb) {
    var s = document.createElement("canvas"); s.width = s.height = 64;
    var g = s.getContext("2d"), grad = g.createRadialGradient(32, 32, 0, 32, 32, 32);
    grad.addColorStop(0, "rgba(" + rgb + ",0.55)"); grad.addColorStop(0.35, "rgba(" + rgb + ",0.18)");
    grad.addColorStop(1, "rgba(" + rgb + ",0)");
    g.fillStyle = grad; g.fillRect(0, 0, 64, 64); return s;
  }
  var GLOW = [sprite(BLUE), sprite(CYAN), sprite([255, 255, 255])];

  function node() {
    var a = Math.random() * Math.PI * 2, v = (10 + Math.random() * 22) * S;   // px per second
    return {x: Math.random() * w, y: Math.random() * h, vx: Math.cos(a) * v, vy: Math.sin(a) * v,
            r: (1.2 + Math.random() * 1.8) * S, c: Math.random() < 0.5 ? 0 : 1, p: Math.random() * 6.3};
  }

  function resize() {
    var dpr = Math.min(window.devicePixelRatio || 1, 2);
    var nw = window.innerWidth, nh = window.innerHeight;
    if (nw === w && nh === h) return false;
    // Keep the nodes where they were (scaled), so a resize does not reshuffle the picture.
    nodes.forEach(function (n) { n.x *= w ? nw / w : 1; n.y *= h ? nh / h : 1; });
    w = nw; h = nh;
    var s = Math.max(0.8, Math.min(1.6, w / 1400));
    nodes.forEach(function (n) { n.r *= s / S; n.vx *= s / S; n.vy *= s / S; });
    LINK *= s / S; S = s;
    canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    // About one node per 11,000 px^2: a full network on a projector, not a blizzard on a laptop.
    var want = Math.max(40, Math.min(200, Math.round(w * h / (11000 * S * S))));
    while (nodes.length < want) nodes.push(node());
    nodes.length = want;
    sparks = sparks.filter(function (s) { return s.a < want && s.b < want; });   // none on a node that went
    return true;
  }

  function mix(k) {   // blue on the left, cyan on the right, like the name's gradient
    return [0, 1, 2].map(function (i) { return Math.round(BLUE[i] + (CYAN[i] - BLUE[i]) * k); }).join(",");
  }

  function step(dt) {
    var m = 20;
    nodes.forEach(function (n) {
      n.x += n.vx * dt; n.y += n.vy * dt;
      if (n.x < -m) n.x = w + m; else if (n.x > w + m) n.x = -m;
      if (n.y < -m) n.y = h + m; else if (n.y > h + m) n.y = -m;
    });
    // Sparks travel a line in about 0.8 s, then hop on to a neighbour of where they arrived.
    sparks = sparks.filter(function (s) {
      s.k += dt * 1.25;
      if (dist(s.a, s.b) > LINK) return false;
      if (s.k < 1) return true;
      var next = neighbours(s.b).filter(function (j) { return j !== s.a; });
      if (!next.length || s.hops > 6) return false;
      s.a = s.b; s.b = next[Math.floor(Math.random() * next.length)]; s.k = 0; s.hops++;
      return true;
    });
    if (sparks.length < 5 && Math.random() < dt * 1.5) {
      var a = Math.floor(Math.random() * nodes.length), nb = neighbours(a);
      if (nb.length) sparks.push({a: a, b: nb[Math.floor(Math.random() * nb.length)], k: 0, hops: 0});
    }
  }

  function dist(i, j) {
    var dx = nodes[i].x - nodes[j].x, dy = nodes[i].y - nodes[j].y;
    return Math.sqrt(dx * dx + dy * dy);
  }
  function neighbours(i) {
    var out = [];
    for (var j = 0; j < nodes.length; j++) if (j !== i && dist(i, j) < LINK) out.push(j);
    return out;
  }

  function draw() {
    ctx.clearRect(0, 0, w, h);
    ctx.lineWidth = 1.1 * S;
    for (var i = 0; i < nodes.length; i++) {
      var a = nodes[i];
      for (var j = i + 1; j < nodes.length; j++) {
        var b = nodes[j], dx = a.x - b.x, dy = a.y - b.y, d2 = dx * dx + dy * dy;
        if (d2 > LINK * LINK) continue;
        // Lines fade in as nodes approach and out as they part; their opacity pulses 0.2 -> 0.6.
        var near = 1 - Math.sqrt(d2) / LINK;
        var pulse = 0.4 + 0.2 * Math.sin(t * 1.1 + a.p + b.p);
        ctx.strokeStyle = "rgba(" + mix((a.x + b.x) / (2 * w)) + "," + (Math.pow(near, 1.4) * pulse).toFixed(3) + ")";
        ctx.beginPath(); ctx.moveTo(a.x, a.y); ctx.lineTo(b.x, b.y); ctx.stroke();
      }
    }
    nodes.forEach(function (n) {
      var glow = n.r * 9 * (0.85 + 0.15 * Math.sin(t * 1.6 + n.p));
      ctx.drawImage(GLOW[n.c], n.x - glow / 2, n.y - glow / 2, glow, glow);
      ctx.fillStyle = n.c ? "rgba(103,232,249,0.95)" : "rgba(147,197,253,0.95)";
      ctx.beginPath(); ctx.arc(n.x, n.y, n.r, 0, Math.PI * 2); ctx.fill();
    });
    sparks.forEach(function (s) {
      // The line a spark runs along lights up behind it.
      var a = nodes[s.a], b = nodes[s.b], x = a.x + (b.x - a.x) * s.k, y = a.y + (b.y - a.y) * s.k;
      ctx.strokeStyle = "rgba(125,211,252,0.55)"; ctx.lineWidth = 1.6 * S;
      ctx.beginPath(); ctx.moveTo(a.x, a.y); ctx.lineTo(x, y); ctx.stroke();
      var g = 34 * S;
      ctx.drawImage(GLOW[2], x - g / 2, y - g / 2, g, g);
      ctx.fillStyle = "#E0F2FE"; ctx.beginPath(); ctx.arc(x, y, 2.2 * S, 0, Math.PI * 2); ctx.fill();
    });
  }

  function frame(now) {
    raf = 0;
    if (!canvas.isConnected) { stop(); return; }   // the person left the landing page
    var dt = last ? Math.min((now - last) / 1000, 0.05) : 0;
    last = now; t += dt;
    resize(); step(dt); draw();
    raf = requestAnimationFrame(frame);
  }
  function start() { if (!raf) { last = 0; raf = requestAnimationFrame(frame); } }
  function stop() {
    if (raf) cancelAnimationFrame(raf);
    raf = 0;
    if (!canvas.isConnected) {
      window.removeEventListener("resize", onResize);
      still.removeEventListener("change", onMotion);
    }
  }
  function onResize() {
    if (!canvas.isConnected) stop();
    else if (still.matches && resize()) draw();   // a moving picture resizes itself each frame
  }
  function onMotion() {
    if (!canvas.isConnected) stop();
    else if (still.matches) { stop(); sparks = []; draw(); } else start();
  }

  window.addEventListener("resize", onResize);
  still.addEventListener("change", onMotion);
  resize();
  if (still.matches) draw(); else start();
})();
