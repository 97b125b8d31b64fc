// Submits the form_post response form (OAuth 2.0 Form Post Response Mode) without inline script.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("form-post");
  if (form) { form.submit(); }
});
