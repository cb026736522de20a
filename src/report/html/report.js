// clusterscore HTML report: sortable ranking and live re-weighting (additive rules).
// Recomputes exactly as the engine's Evidence does (see src/report/html.rs).
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("cs-data").textContent);
  var DEC = DATA.decimals;
  var D = DATA.dimensions, C = DATA.criteria, T = DATA.tiers, E = DATA.entities;

  // ------------------------------------------------------------ arithmetic as in Rust

  // Rust's f64::round: half away from zero (y - trunc(y) is exact).
  function rustRound(y) {
    var t = Math.trunc(y);
    return Math.abs(y - t) >= 0.5 ? t + Math.sign(y) : t;
  }

  // crate::column::format_display for x >= 0: 15 significant digits, then shortest (a weight
  // share reads 50, not 49.999999999999986).
  function formatDisplay(x) { return plainDecimal(Number(x.toExponential(14))); }

  // Shortest round-trip digits of x >= 0 in plain notation (Rust's Display for f64).
  function plainDecimal(x) {
    var s = String(x);
    var m = s.match(/^(\d)(?:\.(\d+))?e([+-]\d+)$/);
    if (!m) return s;
    var digits = m[1] + (m[2] || ""), point = 1 + parseInt(m[3], 10);
    if (point <= 0) return "0." + "0".repeat(-point) + digits;
    if (point >= digits.length) return digits + "0".repeat(point - digits.length);
    return digits.slice(0, point) + "." + digits.slice(point);
  }

  function roundDecimalText(x, d) {
    var parts = plainDecimal(Math.abs(x)).split(".");
    var ip = parts[0], fp = parts[1] || "";
    if (fp.length <= d) return x;
    var digits = (ip + fp.slice(0, d)).split("").map(Number);
    if (fp.charCodeAt(d) >= 53) {
      var i = digits.length;
      for (;;) {
        if (i === 0) { digits.unshift(1); break; }
        i--;
        if (digits[i] === 9) { digits[i] = 0; } else { digits[i]++; break; }
      }
    }
    var n = digits.length;
    var s = d === 0 ? digits.join("") : digits.slice(0, n - d).join("") + "." + digits.slice(n - d).join("");
    var v = parseFloat(s);
    return x < 0 ? -v : v;
  }

  // crate::num::round_half_away: half away from zero, a scaled value within 4·ε·y of a half
  // counting as the half below 2^40; from there on the shortest decimal text exactly. With
  // `mag` (round_half_away_sum), the allowance is that of the sum's largest part.
  function roundHalfAway(x, d, mag) {
    if (!isFinite(x)) return x;
    var m = Number("1e" + d);
    var y = Math.abs(x) * m;
    if (!isFinite(y) || y >= 9007199254740992) return x;
    var noise = mag === undefined ? y : Math.max(Math.abs(mag), Math.abs(x)) * m;
    var r;
    if (noise < 1099511627776) {
      var f = Math.floor(y);
      r = (f + (y - f >= 0.5 - 4 * Number.EPSILON * noise ? 1 : 0)) / m;
    } else {
      r = Math.abs(roundDecimalText(x, d));
    }
    return x < 0 && r !== 0 ? -r : r;
  }

  // Exact fused multiply-add (a*b + c rounded once), for engines whose matrix product used FMA.
  function decompose(x) {
    var dv = new DataView(new ArrayBuffer(8));
    dv.setFloat64(0, x);
    var hi = dv.getUint32(0), lo = dv.getUint32(4);
    var exp = (hi >>> 20) & 0x7ff;
    var mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
    var e = -1074;
    if (exp !== 0) { mant |= 1n << 52n; e = exp - 1075; }
    return [hi >>> 31 ? -mant : mant, e];
  }
  function toDouble(s, e) {
    var neg = s < 0n;
    if (neg) s = -s;
    var bits = s.toString(2).length, shift = 0;
    if (bits > 64) {
      shift = bits - 64;
      var rest = s & ((1n << BigInt(shift)) - 1n);
      s >>= BigInt(shift);
      if (rest !== 0n) s |= 1n; // sticky bit keeps the rounding exact
    }
    var v = Number(s) * Math.pow(2, e + shift);
    return neg ? -v : v;
  }
  function fma(a, b, c) {
    if (!isFinite(a) || !isFinite(b) || !isFinite(c)) return a * b + c;
    if (a === 0 || b === 0) return c + a * b;
    if (c === 0) return a * b;
    var A = decompose(a), B = decompose(b), Cc = decompose(c);
    var mp = A[0] * B[0], ep = A[1] + B[1];
    var e = Math.min(ep, Cc[1]);
    var s = (mp << BigInt(ep - e)) + (Cc[0] << BigInt(Cc[1] - e));
    if (s === 0n) return 0;
    return toDouble(s, e);
  }

  // ndarray's unrolled_fold (Array::sum) and unrolled_dot, in their summation order.
  function unrolledSum(xs) {
    var p = [0, 0, 0, 0, 0, 0, 0, 0], i = 0, acc = 0;
    while (xs.length - i >= 8) { for (var k = 0; k < 8; k++) p[k] = p[k] + xs[i + k]; i += 8; }
    acc = acc + (p[0] + p[4]); acc = acc + (p[1] + p[5]);
    acc = acc + (p[2] + p[6]); acc = acc + (p[3] + p[7]);
    for (var j = 0; i + j < xs.length && j < 7; j++) acc = acc + xs[i + j];
    return acc;
  }
  function unrolledDot(xs, ys) {
    var p = [0, 0, 0, 0, 0, 0, 0, 0], i = 0, acc = 0;
    while (xs.length - i >= 8) { for (var k = 0; k < 8; k++) p[k] = p[k] + xs[i + k] * ys[i + k]; i += 8; }
    acc = acc + (p[0] + p[4]); acc = acc + (p[1] + p[5]);
    acc = acc + (p[2] + p[6]); acc = acc + (p[3] + p[7]);
    for (var j = 0; i + j < xs.length && j < 7; j++) acc = acc + xs[i + j] * ys[i + j];
    return acc;
  }

  function tolerance(t) { return 1e-9 * Math.max(1, Math.abs(t)); }
  function ge(x, t) { return x >= t - tolerance(t); }

  function totalCmp(x, y) {
    if (x < y) return -1;
    if (x > y) return 1;
    if (x === 0 && y === 0) {
      var sx = 1 / x < 0, sy = 1 / y < 0;
      if (sx !== sy) return sx ? -1 : 1;
    }
    return 0;
  }
  function cmpCodePoints(a, b) {
    var ia = 0, ib = 0;
    while (ia < a.length && ib < b.length) {
      var ca = a.codePointAt(ia), cb = b.codePointAt(ib);
      if (ca !== cb) return ca < cb ? -1 : 1;
      ia += ca > 0xffff ? 2 : 1;
      ib += cb > 0xffff ? 2 : 1;
    }
    if (ia < a.length) return 1;
    if (ib < b.length) return -1;
    return 0;
  }

  // floor(p × n / 100) on the shortest decimal text of p, exactly (29 % of 100 is 29).
  function quota(maxCount, topPercent, n) {
    var byP = null;
    if (topPercent !== null && topPercent !== undefined) {
      var parts = plainDecimal(topPercent).split(".");
      var frac = parts[1] || "";
      var scaled = BigInt(parts[0] + frac) * BigInt(n);
      byP = Math.max(1, Number(scaled / (100n * 10n ** BigInt(frac.length))));
    }
    if (maxCount !== null && maxCount !== undefined && byP !== null) return Math.min(maxCount, byP);
    if (maxCount !== null && maxCount !== undefined) return maxCount;
    if (byP !== null) return byP;
    return Infinity;
  }

  // ------------------------------------------------------------ conditions (eval.rs)

  // Values as eval.rs has them: numbers with NaN for missing (a non-finite result is
  // missing), booleans and texts with null for missing; Kleene logic.
  var X = {
    num: function (v) { return v === null || v === undefined ? NaN : v; },
    fin: function (x) { return isFinite(x) ? x : NaN; },
    truth: function (v) {
      if (v === null || v === undefined) return null;
      if (typeof v === "number") return isNaN(v) ? null : v !== 0;
      if (typeof v === "boolean") return v;
      return null;
    },
    // A comparison with a missing value is false (eval.rs: not unknown outside traces).
    cmp: function (op, x, y) {
      if (isNaN(x) || isNaN(y)) return false;
      var t = tolerance(y);
      // Equal exactly when both le and ge hold, as num.rs's eq (10.00000001 == 10).
      var inside = x >= y - t && x <= y + t;
      switch (op) {
        case "eq": return inside;
        case "ne": return !inside;
        case "lt": return x < y - t;
        case "le": return x <= y + t;
        case "gt": return x > y + t;
        default: return x >= y - t;
      }
    },
    same: function (ne, x, y) {
      if (x === null || x === undefined || y === null || y === undefined) return false;
      return (x === y) !== ne;
    },
    logic: function (and, args) {
      var acc = X.truth(args[0]);
      for (var i = 1; i < args.length; i++) {
        var y = X.truth(args[i]);
        if (and) acc = acc === false || y === false ? false : (acc === null || y === null ? null : true);
        else acc = acc === true || y === true ? true : (acc === null || y === null ? null : false);
      }
      return acc;
    },
    not: function (v) { var b = X.truth(v); return b === null ? null : !b; },
    math: function (f, v) {
      if (isNaN(v)) return NaN;
      switch (f) {
        case "abs": return Math.abs(v);
        case "ln": return v > 0 ? X.fin(Math.log(v)) : NaN;
        case "log10": return v > 0 ? X.fin(Math.log10(v)) : NaN;
        case "exp": return X.fin(Math.exp(v));
        default: return v >= 0 ? X.fin(Math.sqrt(v)) : NaN;
      }
    },
    round: function (v, d) { return isNaN(v) ? NaN : X.fin(roundHalfAway(v, d)); },
    minmax: function (max, args) {
      var acc = args[0];
      for (var i = 1; i < args.length; i++) {
        var y = args[i];
        acc = isNaN(acc) || isNaN(y) ? NaN : (max ? Math.max(acc, y) : Math.min(acc, y));
      }
      return acc;
    },
    missing: function (v) { return v === null || v === undefined || (typeof v === "number" && isNaN(v)); },
    coalesce: function (args) {
      for (var i = 0; i < args.length; i++) if (!X.missing(args[i])) return args[i];
      return args[args.length - 1];
    },
    countTrue: function (args) {
      var n = 0;
      for (var i = 0; i < args.length; i++) if (X.truth(args[i]) === true) n++;
      return n;
    }
  };

  // The conditions evaluated after scoring, compiled once: those that read scores as
  // functions of the entity's published values, the others with their fixed outcomes.
  var POST = DATA.post || null;
  var SLOT_KIND = {};
  if (POST) {
    SLOT_KIND[POST.scoreSlot] = ["s", 0];
    POST.dimensionSlots.forEach(function (s, d) { SLOT_KIND[s] = ["d", d]; });
    POST.criterionSlots.forEach(function (s, c) { SLOT_KIND[s] = ["c", c]; });
    var compile = function (cond) {
      if (cond.js !== undefined) cond.fn = new Function("V", "X", "return " + cond.js + ";");
    };
    POST.adjustments.forEach(compile);
    POST.caps.forEach(compile);
    POST.requires.forEach(function (l) { l.forEach(compile); });
    POST.direct.forEach(function (l) { l.forEach(compile); });
  }
  function live(list) { return list.some(function (c) { return c.fn !== undefined; }); }
  function holds(cond, V, e) { return cond.fn !== undefined ? X.truth(cond.fn(V, X)) : cond.fixed[e]; }

  // ------------------------------------------------------------ re-scoring

  // Dimension fractions f_d = Σ kept p·s / Σ kept p, accumulated in criterion order.
  function dimensionFractions(ent) {
    var nd = D.length, acc = [], kept = [], d;
    for (d = 0; d < nd; d++) { acc.push(0); kept.push(0); }
    for (var ci = 0; ci < C.length; ci++) {
      var s = ent.fractions[ci];
      if (s === null) continue;
      d = C[ci].dimension;
      var p = C[ci].points;
      acc[d] = DATA.fma ? fma(s, p, acc[d]) : acc[d] + s * p;
      kept[d] = kept[d] + p;
    }
    return acc.map(function (a, k) { return kept[k] > 0 ? a / kept[k] : 0; });
  }
  var FRACTIONS = DATA.reweight ? E.map(dimensionFractions) : [];

  // Scores, ranks, tiers and published dimension shares for dimension weights W.
  function compute(W) {
    var n = E.length, e, d;
    var wSum = unrolledSum(W);
    var share = W.map(function (w) { return wSum > 0 ? w / wSum : 0; });
    var finalMax = DATA.scale !== null ? DATA.scale : W.reduce(function (a, b) { return a + b; }, -0);
    var scores = [], dims = [], adjs = [], caps = [], requires = [], direct = [];
    var liveAdj = POST && live(POST.adjustments), liveCap = POST && live(POST.caps);
    var liveReq = T.map(function (_, t) { return POST ? live(POST.requires[t]) : false; });
    var liveDir = T.map(function (_, t) { return POST ? live(POST.direct[t]) : false; });
    for (e = 0; e < n; e++) {
      var f = FRACTIONS[e];
      var row = [];
      for (d = 0; d < D.length; d++) row.push(roundHalfAway(finalMax * share[d] * f[d], DEC));
      dims.push(row);
      var adj = E[e].adjustment, score = NaN, V = null;
      if (POST) {
        var ent = E[e], dimRow = row, ei = e;
        V = function (slot) {
          var k = SLOT_KIND[slot];
          if (k === undefined) return POST.slots[slot][ei];
          if (k[0] === "s") return score;
          if (k[0] === "d") return dimRow[k[1]];
          var fr = ent.fractions[k[1]];
          return fr === null ? NaN : roundHalfAway(fr * C[k[1]].points, DEC);
        };
      }
      if (liveAdj) {
        adj = 0;
        for (var a = 0; a < POST.adjustments.length; a++) {
          if (holds(POST.adjustments[a], V, e) === true) adj += POST.adjustments[a].points;
        }
      }
      adjs.push(adj);
      var t = unrolledDot(f, share) * finalMax;
      var s = t + adj;
      if (DATA.clamp) s = Math.min(Math.max(s, DATA.clamp[0]), DATA.clamp[1]);
      score = adj === 0 ? roundHalfAway(s, DEC) : roundHalfAway(s, DEC, Math.max(Math.abs(t), Math.abs(adj)));
      scores.push(score);
      var cap = E[e].cap;
      if (liveCap) {
        cap = null;
        POST.caps.forEach(function (c) {
          if (holds(c, V, ei) !== true && (cap === null || c.tier > cap)) cap = c.tier;
        });
      }
      caps.push(cap);
      requires.push(T.map(function (_, t) {
        if (!liveReq[t]) return E[e].requires[t];
        var r = true;
        POST.requires[t].forEach(function (c) {
          var v = holds(c, V, ei);
          r = r === false || v === false ? false : (r === null || v === null ? null : true);
        });
        return r === true;
      }));
      direct.push(T.map(function (_, t) {
        if (!liveDir[t]) return E[e].direct[t];
        return POST.direct[t].some(function (c) { return holds(c, V, ei) === true; });
      }));
    }
    var order = [];
    for (e = 0; e < n; e++) if (E[e].ranked) order.push(e);
    order.sort(function (a, b) {
      var c = E[a].cohort - E[b].cohort;
      if (c !== 0) return c;
      c = totalCmp(scores[b], scores[a]);
      if (c !== 0) return c;
      for (var k = 0; k < DATA.tieDirections.length; k++) {
        var x = E[a].tie[k], y = E[b].tie[k];
        if (x === null && y === null) continue;
        if (x === null) return 1;
        if (y === null) return -1;
        c = DATA.tieDirections[k] === "lower" ? totalCmp(x, y) : totalCmp(y, x);
        if (c !== 0) return c;
      }
      return cmpCodePoints(E[a].id, E[b].id);
    });
    var rank = new Array(n).fill(null), tier = new Array(n).fill(null);
    var count = {}, rankedIn = {}, placed = {}, tieKey = {};
    order.forEach(function (e) {
      var co = E[e].cohort;
      count[co] = (count[co] || 0) + 1;
      rank[e] = count[co];
      rankedIn[co] = count[co];
      var key = co + "|" + (Object.is(scores[e], -0) ? "-0" : String(scores[e]));
      tieKey[key] = (tieKey[key] || 0) + 1;
    });
    var tieBroken = new Array(n).fill(false);
    order.forEach(function (e) {
      var key = E[e].cohort + "|" + (Object.is(scores[e], -0) ? "-0" : String(scores[e]));
      tieBroken[e] = tieKey[key] > 1;
    });
    order.forEach(function (e) {
      var co = E[e].cohort;
      if (!placed[co]) placed[co] = T.map(function () { return 0; });
      for (var t = 0; t < T.length; t++) {
        if (caps[e] !== null && t < caps[e]) continue;
        if (!requires[e][t]) continue;
        var min = E[e].minScore[t];
        var meets = min === null || ge(scores[e], min);
        if (!(meets || direct[e][t])) continue;
        if (placed[co][t] >= quota(T[t].maxCount, T[t].topPercent, rankedIn[co])) continue;
        placed[co][t] += 1;
        tier[e] = t;
        break;
      }
    });
    return {
      scores: scores, rank: rank, tier: tier, dims: dims, adjs: adjs, order: order,
      tieBroken: tieBroken, finalMax: finalMax
    };
  }

  // ------------------------------------------------------------ charts

  // The parts of html.rs's charts that move with the weights, drawn the same way so that at
  // the shipped weights they are the same markup (the self-check compares them).

  function esc(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  // Rust's format!("{:.d}", x): the exact binary value rounded, ties to even (toFixed takes
  // a tie away from zero). A tie has exactly d + 1 decimals, the last a 5.
  function fixed(x, d) {
    if (!isFinite(x)) return "";
    var a = Math.abs(x), s = a.toFixed(d), t = a.toFixed(d + 1);
    if (t.charAt(t.length - 1) === "5" && /^0*$/.test(a.toFixed(d + 24).slice(t.length))) {
      var lower = t.slice(0, d === 0 ? -2 : -1);
      if (Number(lower.charAt(lower.length - 1)) % 2 === 0) s = lower;
    }
    return (x < 0 || Object.is(x, -0) ? "-" : "") + s;
  }

  // crate::column::format_number: whole numbers without a point, others shortest.
  function formatNumber(x) {
    if (x === Math.trunc(x) && Math.abs(x) < 1e15) return String(x === 0 ? 0 : x);
    return x < 0 ? "-" + plainDecimal(-x) : plainDecimal(x);
  }

  // A chart's axis or bin limit to twelve significant digits (html.rs axis_number).
  function axisNumber(x) { return formatNumber(Number(x.toPrecision(12))); }

  function svgText(x, y, anchor, cls, text) {
    return '<text x="' + fixed(x, 1) + '" y="' + fixed(y, 1) + '" text-anchor="' + anchor +
      '" class="' + cls + '">' + esc(text) + "</text>";
  }

  function rect(x, y, w, h, dx, fill, rest) {
    return '<rect x="' + x + '" y="' + fixed(y, 1) + '" width="' + fixed(w, dx) + '" height="' +
      fixed(h, 1) + '" fill="' + fill + '"' + rest;
  }

  // Score distribution: ten bins from 0 to the maximum (html.rs histogram_svg).
  function histogramPart(res) {
    var max = res.finalMax > 0 ? res.finalMax : 100, bins = 10, counts = [], k;
    for (k = 0; k < bins; k++) counts.push(0);
    res.order.forEach(function (e) {
      var b = Math.floor((res.scores[e] / max) * bins);
      counts[b > 0 ? Math.min(b, bins - 1) : 0]++;
    });
    // A score past the scale counts in the end bin, whose limit says so (html.rs).
    var lowest = 0, highest = max;
    res.order.forEach(function (e) {
      lowest = Math.min(lowest, res.scores[e]);
      highest = Math.max(highest, res.scores[e]);
    });
    var limit = function (k) { return k === 0 ? lowest + 0 : k === bins ? highest : max * k / bins; };
    var w = 440, h = 240, left = 36, bottom = 36, top = 28, out = "";
    var peak = Math.max(1, Math.max.apply(null, counts));
    var bw = (w - left - 10) / bins, plotH = h - bottom - top;
    counts.forEach(function (c, k) {
      var bh = plotH * c / peak, x = left + k * bw, y = h - bottom - bh;
      out += rect(fixed(x + 1, 1), y, bw - 2, bh, 1, "#4472c4", "><title>" +
        axisNumber(limit(k)) + "–" + axisNumber(limit(k + 1)) + ": " + c +
        "</title></rect>");
      if (c > 0) out += svgText(x + bw / 2, y - 3, "middle", "value", String(c));
    });
    for (k = 0; k <= bins; k += 2) {
      out += svgText(left + k * bw, h - bottom + 14, "middle", "axis", axisNumber(max * k / bins));
    }
    return out;
  }

  // Tier counts, then untiered and excluded (html.rs tier_counts_svg).
  function tiersPart(res) {
    var rows = T.map(function (tier) { return [0, tier.colour]; });
    var untiered = [0, "#d9d9d9"], excluded = [0, "#7f7f7f"];
    E.forEach(function (ent, e) {
      if (!ent.ranked) excluded[0]++;
      else if (res.tier[e] === null) untiered[0]++;
      else rows[res.tier[e]][0]++;
    });
    rows.push(untiered, excluded);
    var rowH = 26, w = 440, top = 28, labelW = 250, out = "";
    var peak = Math.max(1, Math.max.apply(null, rows.map(function (r) { return r[0]; })));
    rows.forEach(function (r, i) {
      var y = top + i * rowH, bw = (w - labelW - 40) * r[0] / peak;
      out += rect(String(labelW), y + 4, bw, rowH - 8, 1, r[1], ' stroke="#888" stroke-width="0.5"/>');
      out += svgText(labelW + bw + 4, y + 16, "start", "value", String(r[0]));
    });
    return out;
  }

  // Dimension shares per ranked entity, at most 60, plus adjustments (html.rs breakdown_svg).
  function breakdownPart(res) {
    var shown = res.order.slice(0, 60);
    var max = res.finalMax > 0 ? res.finalMax : 100;
    // (The adjustment as published: rounded to the decimals, as html.rs draws it.)
    var adjOf = function (e) { return roundHalfAway(res.adjs[e], DEC); };
    var adjMax = shown.reduce(function (m, e) { return Math.max(m, adjOf(e) > 0 ? adjOf(e) : 0); }, 0);
    var w = 900, labelW = 230, rowH = 18, top = 54, out = "";
    var unit = (w - labelW - 50) / (max + adjMax);
    shown.forEach(function (e, i) {
      var y = top + i * rowH, ent = E[e];
      var name = Array.from(ent.name === null || ent.name === undefined ? ent.id : ent.name);
      name = name.length > 16 ? name.slice(0, 15).join("") + "…" : name.join("");
      out += svgText(labelW - 6, y + 13, "end", "label", res.rank[e] + ". " + name);
      var x = labelW;
      D.forEach(function (dim, d) {
        var v = res.dims[e][d] > 0 ? res.dims[e][d] : 0, bw = v * unit;
        out += rect(fixed(x, 2), y + 2, bw, rowH - 4, 2, dim.colour, "><title>" + esc(dim.label) +
          ": " + fixed(v, DEC) + "</title></rect>");
        x += bw;
      });
      if (adjOf(e) > 0) {
        var bw = adjOf(e) * unit;
        out += rect(fixed(x, 2), y + 2, bw, rowH - 4, 2, "#bfbfbf", "/>");
        x += bw;
      }
      out += svgText(x + 4, y + 13, "start", "value", fixed(res.scores[e], DEC));
    });
    var axisY = top + shown.length * rowH + 2;
    out += '<line x1="' + labelW + '" y1="' + fixed(axisY, 1) + '" x2="' + fixed(labelW + max * unit, 1) +
      '" y2="' + fixed(axisY, 1) + '" class="axis-line"/>';
    for (var k = 0; k <= 4; k++) {
      var v = max * k / 4;
      out += svgText(labelW + v * unit, axisY + 14, "middle", "axis", axisNumber(v));
    }
    return out;
  }

  var CHARTS = { histogram: histogramPart, tiers: tiersPart, breakdown: breakdownPart };

  // Redraws the moving parts; returns the charts whose markup changed.
  function drawCharts(res) {
    var changed = [];
    Object.keys(CHARTS).forEach(function (name) {
      var g = document.querySelector('g[data-live="' + name + '"]');
      if (!g) return;
      var before = g.innerHTML;
      g.innerHTML = CHARTS[name](res);
      if (g.innerHTML !== before) changed.push(name);
    });
    return changed;
  }

  // ------------------------------------------------------------ rendering

  var table = document.getElementById("ranking");
  var tbody = table.tBodies[0];
  var rowOf = {};
  Array.prototype.forEach.call(tbody.rows, function (tr) { rowOf[tr.getAttribute("data-id")] = tr; });
  var shippedW = D.map(function (d) { return d.weight; });
  var sliders = Array.prototype.slice.call(document.querySelectorAll("input[type=range][data-dim]"));

  function setCell(td, text, v) {
    td.textContent = text;
    if (v !== undefined) td.setAttribute("data-v", String(v));
  }

  function render(res) {
    var moved = 0, e;
    var rows = res.order.slice();
    for (e = 0; e < E.length; e++) if (!E[e].ranked) rows.push(e);
    var tierCounts = T.map(function () { return 0; }), untiered = 0;
    rows.forEach(function (e) {
      var ent = E[e], tr = rowOf[ent.id];
      if (!tr) return;
      tbody.appendChild(tr);
      // Excluded entities are scored too (not ranked): their score and dimensions move.
      setCell(tr.querySelector("td.score"), fixed(res.scores[e], DEC), res.scores[e]);
      var dimCells = tr.querySelectorAll("td.dim");
      for (var d = 0; d < dimCells.length; d++) setCell(dimCells[d], fixed(res.dims[e][d], DEC), res.dims[e][d]);
      if (!ent.ranked) return;
      var r = res.rank[e], t = res.tier[e];
      setCell(tr.querySelector("td.rank"), r + (res.tieBroken[e] ? "*" : ""), r);
      var td = tr.querySelector("td.tier");
      td.textContent = t === null ? "" : T[t].label;
      td.setAttribute("data-v", String(t === null ? T.length : t));
      td.style.background = t === null ? "" : T[t].colour;
      if (t === null) untiered++; else tierCounts[t]++;
      var change = tr.querySelector("td.change");
      change.textContent = "";
      var changed = r !== ent.rank || t !== ent.tier;
      if (r !== ent.rank) {
        var span = document.createElement("span");
        span.className = r < ent.rank ? "up" : "down";
        span.textContent = (r < ent.rank ? "↑" : "↓") + Math.abs(ent.rank - r) + " (" + ent.rank + ")";
        change.appendChild(span);
      }
      if (t !== ent.tier) {
        var from = ent.tier === null ? "—" : T[ent.tier].label;
        change.appendChild(document.createTextNode(" 原等级 was: " + from));
      }
      tr.classList.toggle("moved", changed);
      if (changed) moved++;
    });
    T.forEach(function (_, t) {
      var c = document.querySelector('[data-tier-count="' + t + '"]');
      if (c) c.textContent = String(tierCounts[t]);
    });
    var u = document.querySelector('[data-tier-count="none"]');
    if (u) u.textContent = String(untiered);
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) { th.removeAttribute("aria-sort"); });
    var status = document.getElementById("reweight-status");
    if (status) status.textContent = moved === 0 ? "" : moved + " 个" + "排名或等级变化 changed rank or tier";
    drawCharts(res);
    return moved;
  }

  // A moved slider's weight to four significant digits (56.14, not 56.1366210682234): the
  // weight the page computes with is the one it shows, and copied into a rules file it
  // gives the same scores. An unmoved slider keeps the shipped weight as written.
  function currentWeights() {
    return sliders.map(function (s, d) {
      var v = parseFloat(s.value);
      return v === shippedW[d] || !isFinite(v) ? v : Number(v.toPrecision(4));
    });
  }

  // The maximum score and each dimension's maximum under weights W, in the headers.
  function showMaxima(W) {
    var wSum = unrolledSum(W);
    var finalMax = DATA.scale !== null ? DATA.scale : W.reduce(function (a, b) { return a + b; }, -0);
    var s = document.querySelector("[data-max-score]");
    if (s) s.textContent = "/" + formatDisplay(roundHalfAway(finalMax, DEC));
    W.forEach(function (w, d) {
      var c = document.querySelector('[data-dim-max="' + d + '"]');
      if (c) c.textContent = "/" + formatDisplay(roundHalfAway(wSum > 0 ? finalMax * (w / wSum) : 0, DEC));
    });
  }

  function apply() {
    var W = currentWeights();
    sliders.forEach(function (s, d) {
      var out = document.querySelector('[data-dim-out="' + s.getAttribute("data-dim") + '"]');
      if (out) out.textContent = String(W[d]);
    });
    var banner = document.getElementById("reweighted");
    var moved = W.some(function (w, d) { return w !== shippedW[d]; });
    Array.prototype.forEach.call(document.querySelectorAll(".shipped-note"), function (p) { p.hidden = !moved; });
    var note = document.getElementById("charts-note");
    if (note) {
      note.textContent = moved
        ? "图表按上方调整后的维度权重绘制。Charts show the dimension weights set above."
        : "图表按规则文件中的权重绘制。Charts show the shipped weights.";
    }
    if (banner) {
      banner.hidden = !moved;
      banner.textContent = !moved ? "" :
        "本页按调整后的维度权重显示，不是规则文件的权重。Shown with dimension weights moved from the rules file's: " +
        D.map(function (dim, d) { return dim.id + " " + W[d] + " (" + shippedW[d] + ")"; }).join(", ") +
        (POST && POST.frozen > 0 ? " " + POST.frozenNote : "");
    }
    // The engine refuses rules whose weights are all 0: so does the page, and it greys the
    // table and charts it can no longer recompute.
    var none = !W.some(function (w) { return w > 0; });
    table.classList.toggle("stale", none);
    var charts = document.querySelector("section.charts");
    if (charts) charts.classList.toggle("stale", none);
    if (none) {
      var status = document.getElementById("reweight-status");
      if (status) status.textContent = "所有权重为 0，无法评分 every weight is 0: nothing can be scored (the engine refuses such rules); the table and charts below are those of the last weights";
      return 0;
    }
    showMaxima(W);
    return render(compute(W));
  }

  function reset() {
    sliders.forEach(function (s, d) { s.value = String(shippedW[d]); });
    return apply();
  }

  // Self-check: with the shipped weights the page must reproduce the engine exactly.
  function selfCheck() {
    var res = compute(shippedW), bad = [];
    E.forEach(function (ent, e) {
      if (!ent.ranked) return;
      if (res.scores[e] !== ent.score || res.rank[e] !== ent.rank || res.tier[e] !== ent.tier) {
        // What differs, the page's value first: score, rank, tier.
        var diff = [];
        if (res.scores[e] !== ent.score) diff.push("score " + res.scores[e] + "/" + ent.score);
        if (res.rank[e] !== ent.rank) diff.push("rank " + res.rank[e] + "/" + ent.rank);
        if (res.tier[e] !== ent.tier) diff.push("tier " + res.tier[e] + "/" + ent.tier);
        bad.push(ent.id + " (" + diff.join(", ") + ")");
      }
    });
    // The charts redrawn at the shipped weights must be the engine's charts; where they are
    // not, the engine's stay.
    var live = Array.prototype.slice.call(document.querySelectorAll("g[data-live]"));
    var engine = live.map(function (g) { return g.innerHTML; });
    drawCharts(res).forEach(function (name) { bad.push("chart " + name); });
    if (bad.length) live.forEach(function (g, i) { g.innerHTML = engine[i]; });
    var p = document.getElementById("selfcheck");
    document.documentElement.setAttribute("data-selfcheck", bad.length ? "mismatch" : "ok");
    if (p) {
      p.textContent = bad.length
        ? "浏览器重算与引擎结果不一致 browser recomputation differs from the engine: " + bad.join(", ")
        : "浏览器按原权重重算与引擎结果一致 the browser reproduces the engine's result at the shipped weights (" + res.order.length + ").";
      p.classList.toggle("bad", bad.length > 0);
    }
    return bad;
  }

  // ------------------------------------------------------------ sorting

  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
    if (!th.hasAttribute("data-key")) return;
    th.addEventListener("click", function () {
      var asc = th.getAttribute("aria-sort") !== "ascending";
      var numeric = th.getAttribute("data-type") === "num";
      var rows = Array.prototype.slice.call(tbody.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col], y = b.cells[col], c;
        if (numeric) {
          var vx = parseFloat(x.getAttribute("data-v")), vy = parseFloat(y.getAttribute("data-v"));
          var nx = !isFinite(vx), ny = !isFinite(vy);
          if (nx || ny) return nx === ny ? 0 : (nx ? 1 : -1); // blanks last either way
          c = vx - vy;
        } else {
          c = x.textContent.localeCompare(y.textContent, "zh-CN");
        }
        return asc ? c : -c;
      });
      rows.forEach(function (r) { tbody.appendChild(r); });
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    });
  });

  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details"), function (d) { d.open = true; });
  });

  if (DATA.reweight) {
    // A page that cannot reproduce the engine at the shipped weights keeps the engine's
    // table and charts as written, and its sliders stay off: what they would show could
    // not be trusted either.
    var btn = document.getElementById("reset");
    if (selfCheck().length) {
      sliders.forEach(function (s) { s.disabled = true; });
      if (btn) btn.disabled = true;
      var off = document.getElementById("reweight-status");
      if (off) off.textContent = "滑块已停用 the sliders are off: the page does not reproduce the engine's result (see the note below)";
    } else {
      apply();
      sliders.forEach(function (s) { s.addEventListener("input", apply); });
      if (btn) btn.addEventListener("click", reset);
    }
  }

  window.clusterscore = {
    data: DATA, compute: compute, apply: apply, reset: reset, selfCheck: selfCheck,
    roundHalfAway: roundHalfAway, fma: fma, fixed: fixed, drawCharts: drawCharts
  };
})();
