// The recording server is built with the product (dev mode's simulated lab, src/dev/lab); tests
// import it from here as before.
export * from '../../src/dev/lab/recording-server';
