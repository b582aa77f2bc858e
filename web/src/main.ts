import './components/parley-app.js';
