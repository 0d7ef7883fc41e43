import { ImageCache, type ResolvedImage } from '../../src/activities/resolve-image';

const image: ResolvedImage = { imageId: 'ami-0c7a8e3f05e4e5f0c', source: 'parameter', parameter: '/p/arm64', rootDeviceName: '/dev/sda1' };

describe('ImageCache', () => {
  it('returns an entry until its time is up, then forgets it', () => {
    let now = 1_000;
    const cache = new ImageCache(60_000, () => now);
    cache.set('us-east-1|arm64|/p/{arch}', image);

    now += 59_999;
    expect(cache.get('us-east-1|arm64|/p/{arch}')).toBe(image);
    now += 1;
    expect(cache.get('us-east-1|arm64|/p/{arch}')).toBeUndefined();
  });

  it('keeps nothing with a time of 0', () => {
    const cache = new ImageCache(0, () => 0);
    cache.set('k', image);
    expect(cache.get('k')).toBeUndefined();
  });

  it('keeps entries apart by key', () => {
    const cache = new ImageCache(60_000, () => 0);
    cache.set('us-east-1|arm64|p', image);
    expect(cache.get('eu-west-1|arm64|p')).toBeUndefined();
  });
});
