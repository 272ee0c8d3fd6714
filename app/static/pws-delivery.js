/* Confirmar entrega: the recipient signs on the phone's screen; the GPS position is attached
   when the carrier allows it. No inline handlers, no external libraries. */
(function () {
  "use strict";
  var form = document.getElementById("pws-delivery-form");
  if (!form) { return; }

  var canvas = document.getElementById("pws-signature-pad");
  var output = document.getElementById("pws-signature-data");
  var context = canvas.getContext("2d");
  var drawing = false, signed = false;

  context.lineWidth = 2.5;
  context.lineCap = "round";
  context.strokeStyle = "#111";

  function point(event) {
    var box = canvas.getBoundingClientRect();
    return {
      x: (event.clientX - box.left) * (canvas.width / box.width),
      y: (event.clientY - box.top) * (canvas.height / box.height)
    };
  }

  canvas.addEventListener("pointerdown", function (event) {
    drawing = true;
    signed = true;
    canvas.setPointerCapture(event.pointerId);
    var p = point(event);
    context.beginPath();
    context.moveTo(p.x, p.y);
    event.preventDefault();
  });
  canvas.addEventListener("pointermove", function (event) {
    if (!drawing) { return; }
    var p = point(event);
    context.lineTo(p.x, p.y);
    context.stroke();
    event.preventDefault();
  });
  ["pointerup", "pointercancel", "pointerleave"].forEach(function (name) {
    canvas.addEventListener(name, function () { drawing = false; });
  });

  /* The form came back with an error: the signature already drawn is drawn again. */
  if (output.value.indexOf("data:image/png;base64,") === 0) {
    var drawn = new Image();
    drawn.onload = function () { context.drawImage(drawn, 0, 0, canvas.width, canvas.height); };
    drawn.src = output.value;
    signed = true;
  }

  document.getElementById("pws-signature-clear").addEventListener("click", function () {
    context.clearRect(0, 0, canvas.width, canvas.height);
    signed = false;
  });

  form.addEventListener("submit", function () {
    output.value = signed ? canvas.toDataURL("image/png") : "";
  });

  var status = document.getElementById("pws-location-status");
  if (navigator.geolocation) {
    navigator.geolocation.getCurrentPosition(function (position) {
      document.getElementById("pws-latitude").value = position.coords.latitude.toFixed(6);
      document.getElementById("pws-longitude").value = position.coords.longitude.toFixed(6);
      status.textContent = status.getAttribute("data-ok");
    }, function () {
      status.textContent = status.getAttribute("data-fail");
    }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
  }
}());
