// The board's map: a progressive addition over the list of listings. The page carries
// everything in data- attributes of #board-map (tiles, attribution, centre, markers);
// without JavaScript, or without Leaflet, the map stays hidden and the list is the board.
(function () {
  "use strict";

  var box = document.getElementById("board-map");
  if (!box || !window.L) {
    return;
  }

  function parsed(text, fallback) {
    try {
      return JSON.parse(text);
    } catch (e) {
      return fallback;
    }
  }

  // Leaflet shows the attribution as HTML; the operator's text is shown as text.
  function escaped(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span.innerHTML;
  }

  var markers = parsed(box.dataset.markers || "[]", []);
  var centre = parsed(box.dataset.centre || "null", null);
  box.hidden = false;

  var map = L.map(box, { scrollWheelZoom: false });
  L.tileLayer(box.dataset.tiles, {
    attribution: escaped(box.dataset.attribution || ""),
    maxZoom: 18,
  }).addTo(map);

  var points = [];
  markers.forEach(function (m) {
    var link = document.createElement("a");
    link.textContent = m.title;
    if (m.href) {
      link.href = m.href;
    }
    L.marker([m.lat, m.lon], { title: m.title, alt: m.title })
      .bindPopup(link)
      .addTo(map);
    points.push([m.lat, m.lon]);
  });

  if (points.length) {
    // Positions are coarse (about a kilometre): no closer than a neighbourhood.
    map.fitBounds(points, { maxZoom: 14, padding: [24, 24] });
  } else if (centre) {
    map.setView(centre, 12);
  } else {
    map.setView([20, 0], 2);
  }
})();
