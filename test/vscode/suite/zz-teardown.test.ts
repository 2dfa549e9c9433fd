import { stopTestBed } from './helpers';

after(async () => {
  await stopTestBed();
});
