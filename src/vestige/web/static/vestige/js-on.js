// Loaded in <head>: styles for scripted pages apply before the first paint.
document.documentElement.classList.add("js");
