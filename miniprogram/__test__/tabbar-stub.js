// The router's tab bar, left out of component tests (see jest.config.js).
module.exports = { initTabbar() {} };
